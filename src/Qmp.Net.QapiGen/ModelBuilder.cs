namespace Qmp.Net.QapiGen;

/// <summary>Decides, once, everything the generated code says: the C# name of every type, member, enum value,
/// union branch and command (docs/qapi.md, "Naming"), the C# type of every member, which members are
/// <c>required</c>, the doc sentences, and the serializer context's type list. Its result, an <see cref="ApiModel"/>,
/// is what the templates print and what the generator's unit tests look at.</summary>
internal sealed class ModelBuilder
{
    private const string ExperimentalId = "QMPQAPI001";

    /// <summary>The C# type of each QAPI built-in type.</summary>
    public static readonly IReadOnlyDictionary<string, string> Builtins = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["str"] = "string", ["number"] = "double", ["int"] = "long", ["int8"] = "sbyte", ["int16"] = "short",
        ["int32"] = "int", ["int64"] = "long", ["uint8"] = "byte", ["uint16"] = "ushort", ["uint32"] = "uint",
        ["uint64"] = "ulong", ["size"] = "ulong", ["bool"] = "bool", ["any"] = "JsonElement", ["null"] = "JsonElement",
        ["QType"] = "string",
    };

    private static readonly HashSet<string> s_valueTypes = ["double", "long", "sbyte", "short", "int", "byte", "ushort", "uint", "ulong", "bool", "JsonElement"];

    /// <summary>Member names every record has (object's and a record's own members).</summary>
    private static readonly string[] s_reservedMembers = ["EqualityContract", "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "PrintMembers", "Deconstruct"];

    private readonly Superset _set;
    private readonly EmitterProfile _profile;
    private readonly string[] _versions; // oldest first, for prose
    private readonly Dictionary<SuperType, string> _typeNames = [];
    private readonly HashSet<string> _nestedNames = new(StringComparer.Ordinal);
    private readonly Dictionary<SuperType, Dictionary<string, string>> _valueNames = [];
    private readonly Dictionary<SuperType, Dictionary<string, string>> _branchNames = [];
    private readonly Dictionary<(SuperType, string), string> _propertyNames = [];
    private readonly Dictionary<string, string> _commandNames = new(StringComparer.Ordinal);
    private readonly HashSet<SuperType> _sent = [];
    private int _requiredMembers;

    private ModelBuilder(Superset set, EmitterProfile profile)
    {
        _set = set;
        _profile = profile;
        _versions = [.. set.Versions.Reverse()];
    }

    /// <summary>Builds the model of a superset.</summary>
    public static ApiModel Build(Superset set, EmitterProfile? profile = null) => new ModelBuilder(set, profile ?? EmitterProfile.Qmp).Build();

    private ApiModel Build()
    {
        AssignNames();
        FindSentTypes();
        var types = _set.Types.Values.Where(IsEmitted).Select(TypeModel).ToList();
        var events = _set.Events.Select(EventModel).ToList();
        var commands = _set.Commands.Select(CommandModel).ToList();
        return new ApiModel(_profile, _versions, types, events, commands, _sent.Count, _requiredMembers);
    }

    /// <summary>Whether a type gets a file of its own: every named type and every command's implicit arguments (an
    /// event's data is the event's record).</summary>
    private static bool IsEmitted(SuperType t) => !t.IsSynthetic || t.Name.StartsWith(":args:", StringComparison.Ordinal);

    // ---- names ----

    private void AssignNames()
    {
        var taken = new HashSet<string>([.. Naming.ReservedTypeNames, .. _profile.ReservedTypeNames], StringComparer.Ordinal);
        foreach (var t in _set.Types.Values.OrderBy(t => t.IsSynthetic).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            _typeNames[t] = Naming.Unique(Naming.TypeName(t.Name), taken, "Type");
        }

        foreach (var t in _set.Types.Values.Where(t => t.Kind == DefKind.Enum))
        {
            var used = new HashSet<string>(["Value", "Kind", "Known", "Equals", "GetHashCode", "ToString", "GetType", "Unknown", "Parse", _typeNames[t]], StringComparer.Ordinal);
            _valueNames[t] = t.Values.ToDictionary(v => v.Name, v => Naming.Unique(Naming.Pascal(v.Name), used), StringComparer.Ordinal);
        }

        var eventData = _set.Events.Select(e => e.EventData).OfType<SuperType>().ToHashSet();
        foreach (var t in _set.Types.Values)
        {
            // A member may not take the record's own name or a member it inherits: QapiEvent.Event for an event's
            // record, RawJson for a union.
            var own = new HashSet<string>([_typeNames[t], .. s_reservedMembers], StringComparer.Ordinal);
            if (eventData.Contains(t))
            {
                own.Add("Event");
            }

            if (t.Kind == DefKind.Union)
            {
                own.Add("RawJson");
            }

            if (t.Kind == DefKind.Alternate)
            {
                own.UnionWith(["IsNull", "Null"]);
                foreach (var b in t.Branches.Where(b => b.Type!.Name != "null"))
                {
                    _propertyNames[(t, b.Name)] = Naming.Unique(Naming.Pascal(b.Name), own);
                }

                continue;
            }

            foreach (var m in t.Members)
            {
                _propertyNames[(t, m.Name)] = Naming.Unique(Naming.Pascal(m.Name), own);
            }

            if (t.Kind == DefKind.Union)
            {
                // A branch's nested type must not clash with any member of the base or of any branch (a derived
                // record's property would hide it).
                var all = new HashSet<string>(own, StringComparer.Ordinal);
                foreach (var b in t.Branches)
                {
                    if (BranchType(b) is { } bt)
                    {
                        all.UnionWith(bt.Members.Select(m => Naming.Pascal(m.Name)));
                    }
                }

                var names = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var b in t.Branches)
                {
                    names[b.Name] = Naming.Unique(Naming.Pascal(b.Name) + "Branch", all, "Branch");
                    _nestedNames.Add(names[b.Name]);
                }

                _branchNames[t] = names;
            }
        }

        var commandTaken = new HashSet<string>(["Equals", "GetHashCode", "ToString", "GetType", "Client", "ExecuteAsync"], StringComparer.Ordinal);
        foreach (var c in _set.Commands)
        {
            _commandNames[c.Name] = Naming.Unique(Naming.Pascal(c.Name) + "Async", commandTaken, "Command");
        }
    }

    /// <summary>The types a user constructs to send: command arguments and every type reachable from them (members,
    /// union and alternate branches, list elements). Their mandatory members are <c>required</c>.</summary>
    private void FindSentTypes()
    {
        var stack = new Stack<SuperType>(_set.Commands.Select(c => c.Arguments).OfType<SuperType>());
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (!_sent.Add(t))
            {
                continue;
            }

            foreach (var r in t.Members.Select(m => m.Type).Concat(t.Branches.Select(b => b.Type)))
            {
                if (r is not null && _set.Types.TryGetValue(r.Name, out var next))
                {
                    stack.Push(next);
                }
            }
        }
    }

    private SuperType? BranchType(Merged<Branch> b) =>
        b.Type is { IsArray: false } bt && _set.Types.TryGetValue(bt.Name, out var t) ? t : null;

    // ---- types ----

    /// <summary>The C# text of a QAPI type reference.</summary>
    /// <param name="type">The reference.</param>
    /// <param name="nullable">Whether the C# type is nullable.</param>
    /// <param name="scope">Names in scope where it is printed: a generated type of such a name is written with
    /// <c>global::</c>.</param>
    private string CsType(TypeRef type, bool nullable, ISet<string>? scope = null) => CsTypeAndCodec(type, nullable, scope).Type;

    /// <summary>The C# text of a QAPI type reference and how a value of it is read and written.</summary>
    private (string Type, JsonCodec Codec) CsTypeAndCodec(TypeRef type, bool nullable, ISet<string>? scope = null)
    {
        string element;
        bool valueType;
        if (Builtins.TryGetValue(type.Name, out var builtin))
        {
            element = builtin;
            valueType = s_valueTypes.Contains(builtin);
        }
        else
        {
            var t = _set.Types[type.Name];
            element = _typeNames[t];
            if (_nestedNames.Contains(element) || (scope?.Contains(element) ?? false))
            {
                element = "global::" + _profile.Namespace + "." + element;
            }

            valueType = t.Kind == DefKind.Enum;
        }

        var text = type.IsArray ? $"IReadOnlyList<{element}>" : element;
        var codec = Builtins.TryGetValue(type.Name, out var b)
            ? new JsonCodec(element, "QapiJson.Read" + s_codecNames[b], "QapiJson.Write" + s_codecNames[b], type.IsArray, valueType, false)
            : new JsonCodec(element, $"QapiJson.Read<{element}>", $"QapiJson.Write<{element}>", type.IsArray, valueType, true);
        return (nullable ? text + "?" : text, codec);
    }

    /// <summary>The suffix of the <c>QapiJson</c> reader and writer of each built-in C# type.</summary>
    private static readonly Dictionary<string, string> s_codecNames = new(StringComparer.Ordinal)
    {
        ["string"] = "String", ["double"] = "Double", ["long"] = "Int64", ["sbyte"] = "SByte", ["short"] = "Int16", ["int"] = "Int32",
        ["byte"] = "Byte", ["ushort"] = "UInt16", ["uint"] = "UInt32", ["ulong"] = "UInt64", ["bool"] = "Bool", ["JsonElement"] = "Any",
    };

    private bool IsNullable(SuperType owner, Merged<Member> m) =>
        m.PerVersion.Values.Any(f => f.Optional || f.Condition is not null) || m.PerVersion.Count < owner.PerVersion.Count;

    /// <summary>Whether a member is C# <c>required</c>: a mandatory member (not nullable) of a type a user sends,
    /// except a union's tag, which each branch's constructor sets.</summary>
    private bool IsRequired(SuperType owner, Merged<Member> m, bool nullable) =>
        !nullable && _sent.Contains(owner) && !(owner.Kind == DefKind.Union && m.Name == owner.Newest.Discriminator);

    /// <summary>Whether a member is an open value a user builds (<c>any</c> in a type a user sends): a
    /// <c>JsonNode</c>, which converts implicitly from strings, numbers and bools and nests as
    /// <c>JsonObject</c>/<c>JsonArray</c>, with no reflection.</summary>
    private bool IsOpenValue(SuperType owner, Merged<Member> m) => m.Type is { Name: "any", IsArray: false } && _sent.Contains(owner);

    private bool IsEnum(TypeRef type) => !type.IsArray && _set.Types.TryGetValue(type.Name, out var t) && t.Kind == DefKind.Enum;

    private HashSet<string> Scope(SuperType t, IEnumerable<Merged<Member>> members) =>
        new(members.Select(m => _propertyNames[(t, m.Name)]).Append(_typeNames[t]), StringComparer.Ordinal);

    private TypeModel TypeModel(SuperType t) => t.Kind switch
    {
        DefKind.Enum => EnumModel(t),
        DefKind.Struct => StructModel(t),
        DefKind.Union => UnionModel(t),
        DefKind.Alternate => AlternateModel(t),
        _ => throw new InvalidOperationException($"{t} is not a type."),
    };

    private EnumModel EnumModel(SuperType t)
    {
        var names = _valueNames[t];
        var values = t.Values.Select(v => new EnumValueModel(v.Name, names[v.Name], FactsText(v.PerVersion, t.PerVersion.Keys), Attributes(v.PerVersion))).ToList();
        var summary = Join(TypeSummary(t), "An open set: a value this library does not know is kept, with <see cref=\"Kind\"/> <see cref=\"Known.Unknown\"/>.");
        return new EnumModel(t.Name, _typeNames[t], t.Newest.Module, summary, Attributes(t.PerVersion), values);
    }

    private StructModel StructModel(SuperType t)
    {
        var open = t.Name.StartsWith(":args:", StringComparison.Ordinal) && _set.Commands.First(c => c.Arguments == t).PerVersion.Values.Any(d => !d.Gen);
        return new StructModel(t.Name, _typeNames[t], t.Newest.Module, TypeSummary(t), Attributes(t.PerVersion), Members(t, t.Members, Scope(t, t.Members)), open);
    }

    private UnionModel UnionModel(SuperType t)
    {
        var discriminator = t.Newest.Discriminator!;
        var tag = t.Members.First(m => m.Name == discriminator);
        var tagType = _set.Types[tag.Type!.Name];
        var scope = Scope(t, t.Members);
        var summary = Join(TypeSummary(t), $"A union by <c>{discriminator}</c>: each branch is a nested record; a value whose branch has no members of its own or is unknown is read as this base record, with <see cref=\"RawJson\"/>.");
        var members = Members(t, t.Members, scope);
        var branches = new List<BranchModel>();
        foreach (var b in t.Branches)
        {
            if (BranchType(b) is not { } bt)
            {
                continue;
            }

            var nested = _branchNames[t][b.Name];
            var branchScope = new HashSet<string>(scope, StringComparer.Ordinal);
            branchScope.UnionWith(bt.Members.Select(m => _propertyNames[(bt, m.Name)]));
            branchScope.Add(nested);
            var branchSummary = Join($"The branch <c>{b.Name}</c> (<c>{CodeWriter.Xml(discriminator)}</c> = <c>{b.Name}</c>, members of <c>{bt.Name.Split('@')[0]}</c>).", FactsText(b.PerVersion, t.PerVersion.Keys));
            branches.Add(new BranchModel(b.Name, nested, branchSummary, Attributes(b.PerVersion), _propertyNames[(t, tag.Name)], EnumValue(tagType, b.Name), Members(bt, bt.Members, branchScope), bt.Kind == DefKind.Union, bt.Name));
        }

        return new UnionModel(t.Name, _typeNames[t], t.Newest.Module, summary, Attributes(t.PerVersion), tag.Name, members, branches);
    }

    private AlternateModel AlternateModel(SuperType t)
    {
        var branches = new List<AlternativeModel>();
        foreach (var b in t.Branches.Where(b => b.Type!.Name != "null"))
        {
            var (propertyType, codec) = CsTypeAndCodec(b.Type!, true);
            var summary = Join($"Gets the branch <c>{b.Name}</c> (QAPI type <c>{CodeWriter.Xml(QapiTypeText(b.Type!))}</c>, a JSON {JsonKind(b.Type!)}), or <see langword=\"null\"/> when another branch is set.", FactsText(b.PerVersion, t.PerVersion.Keys));
            branches.Add(new AlternativeModel(b.Name, _propertyNames[(t, b.Name)], propertyType, CsType(b.Type!, false), b.Type!.IsArray, Tokens(b.Type!), summary, codec));
        }

        var summaryText = Join(TypeSummary(t), "An alternate: exactly one branch is set, chosen by the kind of JSON value.");
        return new AlternateModel(t.Name, _typeNames[t], t.Newest.Module, summaryText, Attributes(t.PerVersion), branches, t.Branches.Any(b => b.Type!.Name == "null"));
    }

    private List<MemberModel> Members(SuperType owner, IEnumerable<Merged<Member>> members, ISet<string> scope)
    {
        var list = new List<MemberModel>();
        foreach (var m in members)
        {
            var node = IsOpenValue(owner, m);
            var isAny = m.Type is { Name: "any", IsArray: false } && !node;
            var nullable = (IsNullable(owner, m) && !isAny) || node;
            var (type, codec) = node ? ("JsonNode?", new JsonCodec("JsonNode", "QapiJson.ReadNode", "QapiJson.WriteNode", false, false, false)) : CsTypeAndCodec(m.Type!, nullable, scope);
            var optional = m.PerVersion.Values.Any(f => f.Optional) ? "optional" : "mandatory";
            var other = m.OtherTypes.Count > 0 ? $" Its type differs between versions ({string.Join(", ", m.OtherTypes.Select(o => "<c>" + CodeWriter.Xml(o) + "</c>"))}): this is the newest." : "";
            var summary = Join($"Gets the member <c>{m.Name}</c> ({optional}, QAPI type <c>{CodeWriter.Xml(QapiTypeText(m.Type!))}</c>).", other, FactsText(m.PerVersion, owner.PerVersion.Keys));

            // JSON null is a value of 'any' (absent is the default JsonElement); a missing mandatory enum stays unwritten.
            var ignoreDefault = isAny || (!nullable && IsEnum(m.Type!));
            var required = IsRequired(owner, m, IsNullable(owner, m));
            _requiredMembers += required ? 1 : 0;
            var init = nullable || required ? "" : m.Type!.IsArray ? " = [];" : type is "string" ? " = \"\";" : s_valueTypes.Contains(type) || IsEnum(m.Type!) ? "" : " = null!;";
            var wire = CodeWriter.Literal(m.Name);
            string read;
            if (isAny)
            {
                read = $"QapiJson.AnyMember(element, {wire})";
            }
            else if (codec.IsList)
            {
                read = $"QapiJson.ListMember(element, {wire}, {codec.Reader})";
            }
            else
            {
                var method = nullable && codec.IsValueType ? "ValueMember" : "Member";
                read = codec.IsGenerated ? $"QapiJson.{method}<{codec.Element}>(element, {wire})" : $"QapiJson.{method}(element, {wire}, {codec.Reader})";
            }

            // A mandatory member absent from a reply keeps the value its initializer gives (or null for a required one).
            if (!nullable && !codec.IsValueType || codec.IsList && !nullable)
            {
                read += init switch
                {
                    " = \"\";" => " ?? \"\"",
                    " = [];" => " ?? []",
                    _ => "!",
                };
            }

            var guard = ignoreDefault ? (isAny ? WriteGuard.NotUndefined : WriteGuard.NotDefaultEnum) : nullable || !codec.IsValueType || codec.IsList ? WriteGuard.NotNull : WriteGuard.Always;
            list.Add(new MemberModel(m.Name, _propertyNames[(owner, m.Name)], type, summary, Attributes(m.PerVersion), ignoreDefault, required, init, codec, read, guard));
        }

        return list;
    }

    private string EnumValue(SuperType enumType, string value) =>
        _valueNames[enumType].TryGetValue(value, out var name)
            ? $"{Qualified(enumType)}.{name}"
            : $"new {Qualified(enumType)}({CodeWriter.Literal(value)})";

    private string Qualified(SuperType t) => _nestedNames.Contains(_typeNames[t]) ? "global::" + _profile.Namespace + "." + _typeNames[t] : _typeNames[t];

    private List<string> Tokens(TypeRef type)
    {
        if (type.IsArray)
        {
            return ["StartArray"];
        }

        if (Builtins.TryGetValue(type.Name, out var b))
        {
            return b switch
            {
                "string" => ["String"],
                "bool" => ["True", "False"],
                _ => ["Number"],
            };
        }

        return _set.Types[type.Name].Kind == DefKind.Enum ? ["String"] : ["StartObject"];
    }

    private string JsonKind(TypeRef type) => Tokens(type)[0] switch
    {
        "StartArray" => "array",
        "String" => "string",
        "True" => "boolean",
        "Number" => "number",
        _ => "object",
    };

    // ---- events and commands ----

    private EventModel EventModel(SuperType e)
    {
        var data = e.EventData!;
        var name = _typeNames[data];
        var summary = Join($"The QMP event <c>{e.Name}</c>.", FactsText(e.PerVersion, null));
        var members = Members(data, data.Members, Scope(data, data.Members));
        return new EventModel(e.Name, name, e.Newest.Module, summary, $"{_profile.ReferenceUrl}#event-QMP-{e.Newest.Module}.{e.Name}", Attributes(e.PerVersion), members, Versions(e), Condition(e));
    }

    private CommandModel CommandModel(SuperType c)
    {
        var args = c.Arguments;
        var allOptional = args is not null && args.Kind == DefKind.Struct && args.Members.All(m => IsNullable(args, m));
        var fire = _profile.IsGuestAgent && c.PerVersion.Values.Any(d => !d.SuccessResponse);
        var (catalogResult, resultCodec) = c.Returns is null || fire ? (null, null) : CsTypeAndCodec(c.Returns, false);
        var oob = !_profile.IsGuestAgent && c.PerVersion.Values.Any(d => d.AllowOob);
        var summary = _profile.IsGuestAgent
            ? Join(
                $"Runs the guest agent command <c>{c.Name}</c>.",
                FactsText(c.PerVersion, null),
                fire ? "The agent sends no reply when it succeeds (<c>success-response: false</c>): the task completes once the command was written, and an error the agent sends for it is discarded by the next command's resynchronisation." : "")
            : Join($"Runs the QMP command <c>{c.Name}</c>.", FactsText(c.PerVersion, null), oob ? "QEMU allows it out of band." : "");
        var argumentsType = args is null ? null : CsType(new TypeRef(args.Name, false), false);
        var reference = $"{_profile.ReferenceUrl}#command-{_profile.AnchorPrefix}-{c.Newest.Module}.{c.Name}";
        return new CommandModel(
            c.Name,
            _commandNames[c.Name],
            c.Newest.Module,
            summary,
            reference,
            Attributes(c.PerVersion),
            argumentsType,
            args is null ? null : CodeWriter.Xml(args.IsSynthetic ? "implicit" : args.Name.Split('@')[0]),
            allOptional,
            catalogResult,
            c.Returns is null ? null : CodeWriter.Xml(QapiTypeText(c.Returns)),
            oob,
            fire,
            catalogResult,
            c.PerVersion.Values.Any(d => !d.Gen),
            Versions(c),
            Condition(c),
            resultCodec);
    }

    private List<string> Versions(SuperType t) => [.. _versions.Where(t.PerVersion.ContainsKey)];

    private static string? Condition(SuperType t) => t.PerVersion.Values.Select(d => d.Condition).FirstOrDefault(c => c is not null);

    // ---- facts as prose ----

    private string QapiTypeText(TypeRef type)
    {
        var name = Builtins.ContainsKey(type.Name) ? type.Name : _set.Types[type.Name].Name.Split('@')[0];
        return type.IsArray ? $"[{name}]" : name;
    }

    private string TypeSummary(SuperType t)
    {
        if (t.Name.StartsWith(":args:", StringComparison.Ordinal))
        {
            return Join($"The arguments of the {_profile.Protocol} command <c>{t.Name[6..]}</c>.", FactsText(t.PerVersion, null));
        }

        var kind = t.Kind.ToString().ToLowerInvariant();
        var renamed = t.PerVersion.Where(kv => kv.Value.Name != t.Name).Select(kv => $"Named <c>{kv.Value.Name}</c> in QEMU {kv.Key}.");
        return Join($"The QAPI {kind} <c>{t.Name.Split('@')[0]}</c>.", string.Join(" ", renamed), FactsText(t.PerVersion, null));
    }

    private string VersionsText(IEnumerable<string> have)
    {
        var set = have.ToHashSet(StringComparer.Ordinal);
        var present = _versions.Where(set.Contains).ToList();
        var absent = _versions.Where(v => !set.Contains(v)).ToList();
        var text = "QEMU " + string.Join(" and ", present);
        return absent.Count == 0 ? text : text + " only (not in " + string.Join(" or ", absent) + ")";
    }

    private string FactsText<T>(IReadOnlyDictionary<string, T> perVersion, IEnumerable<string>? ownerVersions)
        where T : Facts
    {
        var parts = new List<string>();
        var newest = perVersion.Values.First();
        if (perVersion.Values.Select(f => f.Since).FirstOrDefault(s => s is not null) is { } since)
        {
            parts.Add($"Since QEMU {since}.");
        }

        if (ownerVersions is null || perVersion.Count != ownerVersions.Count())
        {
            parts.Add($"In {VersionsText(perVersion.Keys)}.");
        }

        if (perVersion.Values.Select(f => f.Condition).FirstOrDefault(c => c is not null) is { } condition)
        {
            parts.Add($"Only in a QEMU built with <c>{CodeWriter.Xml(condition)}</c>.");
        }

        if (newest.IsDeprecated)
        {
            parts.Add("Deprecated.");
        }

        if (newest.IsUnstable)
        {
            parts.Add("Unstable.");
        }

        return string.Join(" ", parts);
    }

    private static List<string> Attributes<T>(IReadOnlyDictionary<string, T> perVersion)
        where T : Facts
    {
        var newest = perVersion.Values.First();
        var list = new List<string>();
        if (newest.IsDeprecated)
        {
            list.Add($"[Obsolete(\"Deprecated in QEMU {perVersion.Keys.First()} (QAPI feature 'deprecated').\")]");
        }

        if (newest.IsUnstable)
        {
            list.Add($"[Experimental(\"{ExperimentalId}\")]");
        }

        return list;
    }

    private static string Join(params string[] parts) => string.Join(" ", parts.Where(p => p.Length > 0));
}
