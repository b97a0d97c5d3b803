using System.Globalization;

namespace Qmp.Net.QapiGen;

/// <summary>Writes the C# of the superset: one file per QAPI module (its types, commands and events), the event
/// decoder and the JsonSerializerContext.</summary>
internal sealed partial class Emitter
{
    private const string ExperimentalId = "QMPQAPI001";

    private static readonly Dictionary<string, string> s_builtins = new(StringComparer.Ordinal)
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
    private readonly HashSet<string> _nestedNames = new(StringComparer.Ordinal);
    private readonly Dictionary<SuperType, Dictionary<string, string>> _valueNames = [];
    private readonly Dictionary<SuperType, Dictionary<string, string>> _branchNames = [];
    private readonly Dictionary<(SuperType, string), string> _propertyNames = [];
    private readonly HashSet<string> _registered = new(StringComparer.Ordinal);
    private readonly List<(string Type, string? PropertyName)> _contextTypes = [];
    private readonly Dictionary<string, string> _commandNames = new(StringComparer.Ordinal);
    private readonly HashSet<SuperType> _sent = [];

    /// <summary>Gets how many types a user sends (command arguments and what they reach).</summary>
    public int SentTypes => _sent.Count;

    /// <summary>Gets how many members were emitted <c>required</c> (after <see cref="Emit"/>).</summary>
    public int RequiredMembers { get; private set; }

    public Emitter(Superset set, EmitterProfile? profile = null)
    {
        _set = set;
        _profile = profile ?? EmitterProfile.Qmp;
        _versions = [.. set.Versions.Reverse()];
        AssignNames();
        FindSentTypes();
    }

    /// <summary>The files to write: name → content.</summary>
    public SortedDictionary<string, string> Emit()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var modules = new SortedDictionary<string, List<object>>(StringComparer.Ordinal);
        void Add(string module, object item)
        {
            if (!modules.TryGetValue(module, out var list))
            {
                modules[module] = list = [];
            }

            list.Add(item);
        }

        foreach (var t in _set.Types.Values.Where(t => !t.IsSynthetic || t.Name.StartsWith(":args:", StringComparison.Ordinal)))
        {
            Add(t.Newest.Module, t);
        }

        foreach (var c in _set.Commands)
        {
            Add(c.Newest.Module, c);
        }

        foreach (var e in _set.Events)
        {
            Add(e.Newest.Module, e);
        }

        foreach (var (module, items) in modules)
        {
            var w = Header(module);
            var commands = items.OfType<SuperType>().Where(i => i.Kind == DefKind.Command).ToList();
            foreach (var t in items.OfType<SuperType>().Where(i => i.Kind is not (DefKind.Command or DefKind.Event)))
            {
                EmitType(w, t);
                w.Line();
            }

            foreach (var e in items.OfType<SuperType>().Where(i => i.Kind == DefKind.Event))
            {
                EmitEvent(w, e);
                w.Line();
            }

            if (commands.Count > 0)
            {
                w.Open($"public readonly partial struct {_profile.CommandsType}");
                var first = true;
                foreach (var c in commands)
                {
                    if (!first)
                    {
                        w.Line();
                    }

                    first = false;
                    EmitCommand(w, c);
                }

                w.Close();
            }

            files[Naming.Pascal(module) + ".cs"] = Trim(w.ToString());
        }

        if (_profile.IsGuestAgent)
        {
            files[_profile.JsonContext + ".cs"] = EmitContext();
            return files;
        }

        files["QapiEventDecoder.cs"] = EmitDecoder();
        files["QapiJsonContext.cs"] = EmitContext();
        files["QapiCatalog.cs"] = EmitCatalog();
        files[".editorconfig"] = """
            # The generated surface (about 40,000 public symbols) is tracked by the generated files themselves, which CI checks
            # for reproducibility (.ci/qapi.sh): PublicAPI.*.txt track the hand-written surface of Qmp.Net.Qapi.
            [*.cs]
            dotnet_diagnostic.RS0016.severity = none
            dotnet_diagnostic.RS0036.severity = none
            dotnet_diagnostic.RS0037.severity = none

            """;
        return files;
    }

    private static string Trim(string text) => text.TrimEnd('\n') + "\n";

    private CodeWriter Header(string module)
    {
        var w = new CodeWriter();
        w.Line("// <auto-generated/>");
        w.Line($"// Generated by Qmp.Net.QapiGen from the fact-only {_profile.Source} {string.Join(" and ", _versions)}: QAPI module {module}.");
        w.Line("// Do not edit: change the generator or the snapshots and regenerate (docs/qapi.md).");
        w.Line("#nullable enable");
        w.Line();
        w.Line("using System.Diagnostics.CodeAnalysis;");
        w.Line("using System.Text.Json;");
        w.Line("using System.Text.Json.Nodes;");
        w.Line("using System.Text.Json.Serialization;");
        w.Line("using Qmp.Net.Qapi.Serialization;");
        if (_profile.IsGuestAgent)
        {
            w.Line("using Qmp.Net.Qga;");
        }

        w.Line();
        w.Line($"namespace {_profile.Namespace};");
        w.Line();
        return w;
    }

    // ---- names ----

    private void AssignNames()
    {
        var taken = new HashSet<string>([.. Naming.ReservedTypeNames, .. _profile.ReservedTypeNames], StringComparer.Ordinal);
        foreach (var t in _set.Types.Values.OrderBy(t => t.IsSynthetic).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            t.CsName = Naming.Unique(Naming.TypeName(t.Name), taken, "Type");
        }

        foreach (var t in _set.Types.Values)
        {
            if (t.Kind == DefKind.Enum)
            {
                var used = new HashSet<string>(["Value", "Kind", "Known", "Equals", "GetHashCode", "ToString", "GetType", "Unknown", "Parse", t.CsName], StringComparer.Ordinal);
                _valueNames[t] = t.Values.ToDictionary(v => v.Name, v => Naming.Unique(Naming.Pascal(v.Name), used), StringComparer.Ordinal);
            }
        }

        var eventData = _set.Events.Select(e => e.EventData).OfType<SuperType>().ToHashSet();
        foreach (var t in _set.Types.Values)
        {
            // A member may not take the record's own name or a member it inherits: QapiEvent.Event for an event's
            // record, RawJson for a union.
            var own = new HashSet<string>([t.CsName, .. s_reservedMembers], StringComparer.Ordinal);
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

        foreach (var e in _set.Events)
        {
            e.CsName = e.EventData!.CsName;
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

    /// <summary>Whether a member is C# <c>required</c>: a mandatory member (not nullable) of a type a user sends,
    /// except a union's tag, which each branch's constructor sets.</summary>
    private bool IsRequired(SuperType owner, Merged<Member> m, bool nullable) =>
        !nullable && _sent.Contains(owner) && !(owner.Kind == DefKind.Union && m.Name == owner.Newest.Discriminator);

    private SuperType? BranchType(Merged<Branch> b) =>
        b.Type is { IsArray: false } bt && _set.Types.TryGetValue(bt.Name, out var t) ? t : null;

    private string PropertyName(SuperType owner, string member) => _propertyNames[(owner, member)];

    private string CsType(TypeRef type, bool nullable, ISet<string>? scope = null)
    {
        string element;
        bool valueType;
        if (s_builtins.TryGetValue(type.Name, out var builtin))
        {
            element = builtin;
            valueType = s_valueTypes.Contains(builtin);
        }
        else
        {
            var t = _set.Types[type.Name];
            element = t.CsName;
            if (_nestedNames.Contains(element) || (scope?.Contains(element) ?? false))
            {
                element = "global::" + _profile.Namespace + "." + element;
            }

            valueType = t.Kind == DefKind.Enum;
        }

        var text = type.IsArray ? $"IReadOnlyList<{element}>" : element;
        Register(type.IsArray ? text : element);
        if (nullable)
        {
            text += "?";
            if (valueType && !type.IsArray)
            {
                Register(text);
            }
        }

        return text;
    }

    private void Register(string type, string? propertyName = null)
    {
        type = type.Replace("global::" + _profile.Namespace + ".", "", StringComparison.Ordinal);
        if (_registered.Add(type))
        {
            _contextTypes.Add((type, propertyName));
        }
    }

    // ---- facts as prose ----

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
        var since = perVersion.Values.Select(f => f.Since).FirstOrDefault(s => s is not null);
        if (since is not null)
        {
            parts.Add($"Since QEMU {since}.");
        }

        if (ownerVersions is null || perVersion.Count != ownerVersions.Count())
        {
            parts.Add($"In {VersionsText(perVersion.Keys)}.");
        }

        var condition = perVersion.Values.Select(f => f.Condition).FirstOrDefault(c => c is not null);
        if (condition is not null)
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

    private static string Join(params string[] parts) => string.Join(" ", parts.Where(p => p.Length > 0));

    private void Attributes<T>(CodeWriter w, IReadOnlyDictionary<string, T> perVersion)
        where T : Facts
    {
        var newest = perVersion.Values.First();
        var version = perVersion.Keys.First();
        if (newest.IsDeprecated)
        {
            w.Line($"[Obsolete(\"Deprecated in QEMU {version} (QAPI feature 'deprecated').\")]");
        }

        if (newest.IsUnstable)
        {
            w.Line($"[Experimental(\"{ExperimentalId}\")]");
        }
    }

    private string KindText(SuperType t) => t.Kind switch
    {
        DefKind.Enum => "enum",
        DefKind.Struct => "struct",
        DefKind.Union => "union",
        DefKind.Alternate => "alternate",
        _ => t.Kind.ToString().ToLowerInvariant(),
    };

    private string NamesText(SuperType t)
    {
        var names = t.PerVersion.Select(kv => (kv.Key, kv.Value.Name)).Where(p => p.Name != t.Name).ToList();
        return names.Count == 0 ? "" : string.Join(" ", names.Select(n => $"Named <c>{n.Name}</c> in QEMU {n.Key}."));
    }

    // ---- types ----

    private void EmitType(CodeWriter w, SuperType t)
    {
        switch (t.Kind)
        {
            case DefKind.Enum:
                EmitEnum(w, t);
                break;
            case DefKind.Struct:
                EmitStruct(w, t);
                break;
            case DefKind.Union:
                EmitUnion(w, t);
                break;
            case DefKind.Alternate:
                EmitAlternate(w, t);
                break;
        }
    }

    private string TypeSummary(SuperType t)
    {
        if (t.Name.StartsWith(":args:", StringComparison.Ordinal))
        {
            var command = t.Name[6..];
            return Join($"The arguments of the {_profile.Protocol} command <c>{command}</c>.", FactsText(t.PerVersion, null));
        }

        return Join($"The QAPI {KindText(t)} <c>{t.Name.Split('@')[0]}</c>.", NamesText(t), FactsText(t.PerVersion, null));
    }

    private void EmitEnum(CodeWriter w, SuperType t)
    {
        var names = _valueNames[t];
        var name = t.CsName;
        w.Summary(Join(TypeSummary(t), "An open set: a value this library does not know is kept, with <see cref=\"Kind\"/> <see cref=\"Known.Unknown\"/>."));
        Attributes(w, t.PerVersion);
        w.Line($"[JsonConverter(typeof(QapiEnumConverter<{name}>))]");
        w.Open($"public readonly partial struct {name} : IEquatable<{name}>, IQapiEnum<{name}>");
        w.Line($"private readonly string? _value;");
        w.Line();
        w.Summary($"Initializes a new instance of the <see cref=\"{name}\"/> struct from its wire form; an unknown value is kept.");
        w.Line("/// <param name=\"value\">The value as QEMU spells it.</param>");
        w.Open($"public {name}(string value)");
        w.Line("ArgumentNullException.ThrowIfNull(value);");
        w.Line("_value = value;");
        w.Line("Kind = Parse(value);");
        w.Close();
        w.Line();
        w.Open($"private {name}(string value, Known kind)");
        w.Line("_value = value;");
        w.Line("Kind = kind;");
        w.Close();
        w.Line();
        w.Summary($"The known values of <see cref=\"{name}\"/>.");
        w.Open("public enum Known");
        w.Summary("A value this version of Qmp.Net.Qapi does not know (or the default value).");
        w.Line("Unknown,");
        foreach (var v in t.Values)
        {
            w.Line();
            w.Summary(Join($"<c>{CodeWriter.Xml(v.Name)}</c>.", FactsText(v.PerVersion, t.PerVersion.Keys)));
            Attributes(w, v.PerVersion);
            w.Line(names[v.Name] + ",");
        }

        w.Close();
        w.Line();
        w.Summary("Gets the value as QEMU spells it (empty for the default value).");
        w.Line("public string Value => _value ?? \"\";");
        w.Line();
        w.Summary("Gets which known value this is, or <see cref=\"Known.Unknown\"/>.");
        w.Line("public Known Kind { get; }");
        foreach (var v in t.Values)
        {
            w.Line();
            w.Summary(Join($"The value <c>{CodeWriter.Xml(v.Name)}</c>.", FactsText(v.PerVersion, t.PerVersion.Keys)));
            Attributes(w, v.PerVersion);
            w.Line($"public static {name} {names[v.Name]} => new({CodeWriter.Literal(v.Name)}, Known.{names[v.Name]});");
        }

        w.Line();
        w.Summary("Compares two values by their wire form.");
        w.Line("/// <param name=\"left\">The first value.</param>");
        w.Line("/// <param name=\"right\">The second value.</param>");
        w.Line("/// <returns>Whether they are equal.</returns>");
        w.Line($"public static bool operator ==({name} left, {name} right) => left.Equals(right);");
        w.Line();
        w.Summary("Compares two values by their wire form.");
        w.Line("/// <param name=\"left\">The first value.</param>");
        w.Line("/// <param name=\"right\">The second value.</param>");
        w.Line("/// <returns>Whether they differ.</returns>");
        w.Line($"public static bool operator !=({name} left, {name} right) => !left.Equals(right);");
        w.Line();
        w.Line($"static {name} IQapiEnum<{name}>.FromValue(string value) => new(value);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line($"public bool Equals({name} other) => string.Equals(Value, other.Value, StringComparison.Ordinal);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line($"public override bool Equals(object? obj) => obj is {name} other && Equals(other);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override string ToString() => Value;");
        w.Line();
        w.Open("private static Known Parse(string value) => value switch");
        foreach (var v in t.Values)
        {
            w.Line($"{CodeWriter.Literal(v.Name)} => Known.{names[v.Name]},");
        }

        w.Line("_ => Known.Unknown,");
        w.Close("};");
        w.Close();
    }

    /// <summary>Whether a member is an open value a user builds (<c>any</c> in a type a user sends): a
    /// <see cref="System.Text.Json.Nodes.JsonNode"/>, which converts implicitly from strings, numbers and bools and
    /// nests as <c>JsonObject</c>/<c>JsonArray</c>, with no reflection.</summary>
    private bool IsOpenValue(SuperType owner, Merged<Member> m) => m.Type is { Name: "any", IsArray: false } && _sent.Contains(owner);

    /// <summary>The C# type of a member as the union converters read and write it.</summary>
    private string ConverterType(SuperType t, Merged<Member> m) =>
        IsOpenValue(t, m) ? "JsonNode?" : CsType(m.Type!, IsNullable(t, m) && m.Type!.Name != "any", Scope(t, t.Members));

    private bool IsNullable(SuperType owner, Merged<Member> m) =>
        m.PerVersion.Values.Any(f => f.Optional || f.Condition is not null) || m.PerVersion.Count < owner.PerVersion.Count;

    private void EmitProperties(CodeWriter w, SuperType owner, IEnumerable<Merged<Member>> members, ISet<string> scope, bool first = true)
    {
        foreach (var m in members)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            var node = IsOpenValue(owner, m);
            var isAny = m.Type is { Name: "any", IsArray: false } && !node;
            var nullable = (IsNullable(owner, m) && !isAny) || node;
            var type = node ? "JsonNode?" : CsType(m.Type!, nullable, scope);
            var optional = m.PerVersion.Values.Any(f => f.Optional) ? "optional" : "mandatory";
            var other = m.OtherTypes.Count > 0 ? $" Its type differs between versions ({string.Join(", ", m.OtherTypes.Select(o => "<c>" + CodeWriter.Xml(o) + "</c>"))}): this is the newest." : "";
            w.Summary(Join($"Gets the member <c>{m.Name}</c> ({optional}, QAPI type <c>{CodeWriter.Xml(QapiTypeText(m.Type!))}</c>).", other, FactsText(m.PerVersion, owner.PerVersion.Keys)));
            Attributes(w, m.PerVersion);
            w.Line($"[JsonPropertyName({CodeWriter.Literal(m.Name)})]");
            if (isAny || (!nullable && IsEnum(m.Type!)))
            {
                // JSON null is a value of 'any' (absent is the default JsonElement); a missing mandatory enum stays unwritten.
                w.Line("[JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]");
            }

            var required = IsRequired(owner, m, IsNullable(owner, m));
            RequiredMembers += required ? 1 : 0;
            var init = nullable || required ? "" : m.Type!.IsArray ? " = [];" : type is "string" ? " = \"\";" : s_valueTypes.Contains(type) || IsEnum(m.Type!) ? "" : " = null!;";
            w.Line($"public {(required ? "required " : "")}{type} {PropertyName(owner, m.Name)} {{ get; init; }}{init}");
        }
    }

    private string QapiTypeText(TypeRef type)
    {
        var name = s_builtins.ContainsKey(type.Name) ? type.Name : _set.Types[type.Name].Name.Split('@')[0];
        return type.IsArray ? $"[{name}]" : name;
    }

    private bool IsEnum(TypeRef type) => !type.IsArray && _set.Types.TryGetValue(type.Name, out var t) && t.Kind == DefKind.Enum;

    private HashSet<string> Scope(SuperType t, IEnumerable<Merged<Member>> members) =>
        new(members.Select(m => PropertyName(t, m.Name)).Append(t.CsName), StringComparer.Ordinal);

    private void EmitStruct(CodeWriter w, SuperType t)
    {
        w.Summary(TypeSummary(t));
        Attributes(w, t.PerVersion);
        w.Open($"public sealed partial record {t.CsName}");
        EmitProperties(w, t, t.Members, Scope(t, t.Members));
        if (t.Name.StartsWith(":args:", StringComparison.Ordinal) && _set.Commands.First(c => c.Arguments == t).PerVersion.Values.Any(d => !d.Gen))
        {
            w.Line();
            w.Summary("Gets further members the command accepts beyond its schema (QEMU checks them itself), e.g. a device's properties.");
            w.Line("/// <remarks>A value is a string, a number (<c>int</c>, <c>long</c>, <c>double</c>, ...), a bool, a <c>JsonElement</c>, or a");
            w.Line("/// <c>JsonObject</c> / <c>JsonArray</c> for a nested value: <c>Properties = new() { [\"drive\"] = \"d1\", [\"removable\"] = true }</c>.");
            w.Line("/// Each is written with the source-generated metadata (no reflection, native-AOT safe); another type fails with");
            w.Line("/// <c>NotSupportedException</c> when the arguments are serialized, before anything is sent. (A <c>JsonObject</c>");
            w.Line("/// extension-data property would be written as invalid JSON by System.Text.Json, dotnet/runtime#60806.)</remarks>");
            w.Line("[JsonExtensionData]");
            w.Line("public Dictionary<string, object>? Properties { get; set; }");
        }

        w.Close();
    }

    private void EmitUnion(CodeWriter w, SuperType t)
    {
        var tag = t.Members.First(m => m.Name == t.Newest.Discriminator);
        var tagType = _set.Types[tag.Type!.Name];
        var scope = Scope(t, t.Members);
        w.Summary(Join(TypeSummary(t), $"A union by <c>{t.Newest.Discriminator}</c>: each branch is a nested record; a value whose branch has no members of its own or is unknown is read as this base record, with <see cref=\"RawJson\"/>."));
        Attributes(w, t.PerVersion);
        w.Line($"[JsonConverter(typeof({t.CsName}Converter))]");
        w.Open($"public partial record {t.CsName}");
        EmitProperties(w, t, t.Members, scope);
        w.Line();
        w.Summary("Gets the JSON this value was read from, when it was read as the base record (an empty or unknown branch).");
        w.Line("[JsonIgnore]");
        w.Line("public JsonElement? RawJson { get; init; }");
        foreach (var b in t.Branches)
        {
            if (BranchType(b) is not { } bt)
            {
                continue;
            }

            var nested = _branchNames[t][b.Name];
            w.Line();
            w.Summary(Join($"The branch <c>{b.Name}</c> (<c>{CodeWriter.Xml(t.Newest.Discriminator!)}</c> = <c>{b.Name}</c>, members of <c>{bt.Name.Split('@')[0]}</c>).", FactsText(b.PerVersion, t.PerVersion.Keys)));
            Attributes(w, b.PerVersion);
            w.Open($"public sealed partial record {nested} : {t.CsName}");
            w.Summary($"Initializes a new instance of the <see cref=\"{nested}\"/> record with <see cref=\"{t.CsName}.{PropertyName(t, tag.Name)}\"/> set to <c>{b.Name}</c>.");
            w.Line($"public {nested}() => {PropertyName(t, tag.Name)} = {EnumValue(tagType, b.Name)};");
            var members = bt.Kind == DefKind.Union ? bt.Members : bt.Members;
            var branchScope = new HashSet<string>(scope, StringComparer.Ordinal);
            branchScope.UnionWith(members.Select(m => PropertyName(bt, m.Name)));
            branchScope.Add(nested);
            foreach (var m in members)
            {
                _propertyNames.TryAdd((bt, m.Name), PropertyName(bt, m.Name));
            }

            if (members.Count > 0)
            {
                w.Line();
            }

            EmitProperties(w, bt, members, branchScope);
            if (bt.Kind == DefKind.Union)
            {
                w.Line();
                w.Summary($"Gets the members of the <c>{bt.Name}</c> branch beyond its common ones.");
                w.Line("[JsonExtensionData]");
                w.Line("public Dictionary<string, JsonElement>? BranchMembers { get; set; }");
            }

            w.Close();
            Register(t.CsName + "." + nested, t.CsName + nested);
        }

        w.Close();
        w.Line();
        EmitUnionConverter(w, t, tag);
    }

    private string EnumValue(SuperType enumType, string value) =>
        _valueNames[enumType].TryGetValue(value, out var name)
            ? $"{Qualified(enumType)}.{name}"
            : $"new {Qualified(enumType)}({CodeWriter.Literal(value)})";

    private string Qualified(SuperType t) => _nestedNames.Contains(t.CsName) ? "global::" + _profile.Namespace + "." + t.CsName : t.CsName;

    private void EmitUnionConverter(CodeWriter w, SuperType t, Merged<Member> tag)
    {
        var name = t.CsName;
        w.Open($"internal sealed class {name}Converter : JsonConverter<{name}>");
        w.Open($"public override {name}? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)");
        w.Line("var element = JsonElement.ParseValue(ref reader);");
        w.Open($"return {_profile.JsonHelper}.Tag(element, {CodeWriter.Literal(tag.Name)}) switch");
        foreach (var b in t.Branches.Where(b => BranchType(b) is not null))
        {
            var nested = _branchNames[t][b.Name];
            w.Line($"{CodeWriter.Literal(b.Name)} => {_profile.JsonHelper}.Read<{name}.{nested}>(element),");
        }

        w.Open($"_ => new {name}");
        foreach (var m in t.Members)
        {
            var nullable = (IsNullable(t, m) && m.Type!.Name != "any") || IsOpenValue(t, m);
            var type = ConverterType(t, m);
            w.Line($"{PropertyName(t, m.Name)} = {_profile.JsonHelper}.Member<{type}>(element, {CodeWriter.Literal(m.Name)}){(nullable || s_valueTypes.Contains(type) || IsEnum(m.Type!) ? "" : "!")},");
        }

        w.Line("RawJson = element,");
        w.Close("},");
        w.Close("};");
        w.Close();
        w.Line();
        w.Open($"public override void Write(Utf8JsonWriter writer, {name} value, JsonSerializerOptions options)");
        w.Open("switch (value)");
        foreach (var b in t.Branches.Where(b => BranchType(b) is not null))
        {
            var nested = _branchNames[t][b.Name];
            w.Line($"case {name}.{nested} v:");
            w.Line($"    {_profile.JsonHelper}.Write(writer, v);");
            w.Line("    return;");
        }

        w.Close();
        w.Line();
        w.Line("writer.WriteStartObject();");
        foreach (var m in t.Members)
        {
            var type = ConverterType(t, m);
            w.Line($"{_profile.JsonHelper}.WriteMember<{type}>(writer, {CodeWriter.Literal(m.Name)}, value.{PropertyName(t, m.Name)});");
        }

        w.Line($"{_profile.JsonHelper}.WriteOtherMembers(writer, value.RawJson, [{string.Join(", ", t.Members.Select(m => CodeWriter.Literal(m.Name)))}]);");
        w.Line("writer.WriteEndObject();");
        w.Close();
        w.Close();
    }

    private void EmitAlternate(CodeWriter w, SuperType t)
    {
        var name = t.CsName;
        var hasNull = t.Branches.Any(b => b.Type!.Name == "null");
        w.Summary(Join(TypeSummary(t), "An alternate: exactly one branch is set, chosen by the kind of JSON value."));
        Attributes(w, t.PerVersion);
        w.Line($"[JsonConverter(typeof({name}Converter))]");
        w.Open($"public sealed partial record {name}");
        var first = true;
        foreach (var b in t.Branches.Where(b => b.Type!.Name != "null"))
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            var type = CsType(b.Type!, true);
            w.Summary(Join($"Gets the branch <c>{b.Name}</c> (QAPI type <c>{CodeWriter.Xml(QapiTypeText(b.Type!))}</c>, a JSON {JsonKind(b.Type!)}), or <see langword=\"null\"/> when another branch is set.", FactsText(b.PerVersion, t.PerVersion.Keys)));
            w.Line($"public {type} {PropertyName(t, b.Name)} {{ get; init; }}");
        }

        if (hasNull)
        {
            w.Line();
            w.Summary("Gets a value indicating whether this is JSON <c>null</c> (the null branch).");
            w.Line("public bool IsNull { get; init; }");
            w.Line();
            w.Summary("Gets the JSON <c>null</c> value (distinct from an absent member, which is a <see langword=\"null\"/> reference).");
            w.Line($"public static {name} Null {{ get; }} = new() {{ IsNull = true }};");
        }

        foreach (var b in t.Branches.Where(b => b.Type!.Name != "null" && !b.Type!.IsArray))
        {
            var type = CsType(b.Type!, false);
            w.Line();
            w.Summary($"Converts a value of the <c>{b.Name}</c> branch.");
            w.Line("/// <param name=\"value\">The value.</param>");
            w.Line($"public static implicit operator {name}({type} value) => new() {{ {PropertyName(t, b.Name)} = value }};");
        }

        w.Close();
        w.Line();
        w.Open($"internal sealed class {name}Converter : JsonConverter<{name}>");
        if (hasNull)
        {
            w.Line("public override bool HandleNull => true;");
            w.Line();
        }

        w.Open($"public override {name}? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch");
        foreach (var b in t.Branches)
        {
            if (b.Type!.Name == "null")
            {
                w.Line($"JsonTokenType.Null => {name}.Null,");
                continue;
            }

            var type = CsType(b.Type!, false);
            foreach (var token in Tokens(b.Type!))
            {
                w.Line($"JsonTokenType.{token} => new {name} {{ {PropertyName(t, b.Name)} = {_profile.JsonHelper}.Read<{type}>(ref reader) }},");
            }
        }

        w.Line($"_ => throw new JsonException(\"No branch of {t.Name} takes a JSON \" + reader.TokenType + \".\"),");
        w.Close("};");
        w.Line();
        w.Open($"public override void Write(Utf8JsonWriter writer, {name} value, JsonSerializerOptions options)");
        var firstBranch = true;
        foreach (var b in t.Branches.Where(b => b.Type!.Name != "null"))
        {
            var type = CsType(b.Type!, false);
            w.Open($"{(firstBranch ? "" : "else ")}if (value.{PropertyName(t, b.Name)} is {{ }} {Naming.Pascal(b.Name).ToLowerInvariant()}Value)");
            w.Line($"{_profile.JsonHelper}.Write<{type}>(writer, {Naming.Pascal(b.Name).ToLowerInvariant()}Value);");
            w.Close();
            firstBranch = false;
        }

        if (hasNull)
        {
            w.Open("else if (value.IsNull)");
            w.Line("writer.WriteNullValue();");
            w.Close();
        }

        w.Open("else");
        w.Line($"throw new JsonException(\"No branch of {t.Name} is set.\");");
        w.Close();
        w.Close();
        w.Close();
    }

    private IEnumerable<string> Tokens(TypeRef type)
    {
        if (type.IsArray)
        {
            return ["StartArray"];
        }

        if (s_builtins.TryGetValue(type.Name, out var b))
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

    private string JsonKind(TypeRef type) => Tokens(type).First() switch
    {
        "StartArray" => "array",
        "String" => "string",
        "True" => "boolean",
        "Number" => "number",
        _ => "object",
    };

    // ---- events ----

    private void EmitEvent(CodeWriter w, SuperType e)
    {
        var data = e.EventData!;
        var name = data.CsName;
        w.Summary(Join($"The QMP event <c>{e.Name}</c>.", FactsText(e.PerVersion, null)));
        w.Line($"/// <seealso href=\"{_profile.ReferenceUrl}#event-QMP-{e.Newest.Module}.{e.Name}\">QEMU's QMP reference</seealso>");
        Attributes(w, e.PerVersion);
        w.Open($"public sealed partial record {name} : QapiEvent, IQapiEvent<{name}>");
        w.Summary($"Gets the event's name on the wire, <c>{e.Name}</c>.");
        w.Line($"public static string EventName => {CodeWriter.Literal(e.Name)};");
        w.Line();
        w.Line($"static System.Text.Json.Serialization.Metadata.JsonTypeInfo<{name}> IQapiEvent<{name}>.JsonTypeInfo => {_profile.JsonHelper}.Info<{name}>();");
        if (data.Members.Count > 0)
        {
            w.Line();
        }

        EmitProperties(w, data, data.Members, Scope(data, data.Members));
        w.Close();
        Register(name);
    }

    private string EmitDecoder()
    {
        var w = Header("(all)");
        w.Line("#pragma warning disable CS0618, CS0612 // Decoding a deprecated event is not a use of it.");
        w.Line();
        w.Line("internal static partial class QapiEventDecoder");
        w.Line("{");
        w.Line("    private static QapiEvent? DecodeKnown(QmpEvent e) => e.Name switch");
        w.Line("    {");
        foreach (var e in _set.Events)
        {
            w.Line($"        {CodeWriter.Literal(e.Name)} => {_profile.JsonHelper}.ReadEvent<{e.EventData!.CsName}>(e.Data),");
        }

        w.Line("        _ => null,");
        w.Line("    };");
        w.Line("}");
        return Trim(w.ToString());
    }

    // ---- commands ----

    private void EmitCommand(CodeWriter w, SuperType c)
    {
        if (_profile.IsGuestAgent)
        {
            EmitAgentCommand(w, c);
            return;
        }

        var newest = c.Newest;
        var method = _commandNames[c.Name];
        var args = c.Arguments;
        var allOptional = args is not null && args.Kind == DefKind.Struct && args.Members.All(m => IsNullable(args, m));
        var resultType = c.Returns is null ? null : CsType(c.Returns, false);
        var oob = c.PerVersion.Values.Any(d => d.AllowOob);
        var facts = new List<string>();
        w.Summary(Join($"Runs the QMP command <c>{c.Name}</c>.", FactsText(c.PerVersion, null), oob ? "QEMU allows it out of band." : ""));
        if (args is not null)
        {
            w.Line($"/// <param name=\"arguments\">The arguments (QAPI <c>{CodeWriter.Xml(args.IsSynthetic ? "implicit" : args.Name.Split('@')[0])}</c>){(allOptional ? "; every member is optional, so this may be null" : "")}.</param>");
        }

        if (oob)
        {
            w.Line("/// <param name=\"outOfBand\">Whether to run it out of band (<c>exec-oob</c>; needs the negotiated <c>oob</c> capability).</param>");
        }

        w.Line("/// <param name=\"cancellationToken\">Cancels the wait.</param>");
        w.Line(resultType is null
            ? "/// <returns>A task that completes when QEMU has answered.</returns>"
            : $"/// <returns>The result (QAPI <c>{CodeWriter.Xml(QapiTypeText(c.Returns!))}</c>).</returns>");
        w.Line("/// <exception cref=\"QapiUnsupportedException\">The connected QEMU lacks the command, a member or an enum value used (checked before sending).</exception>");
        w.Line("/// <exception cref=\"QmpErrorException\">QEMU answered with an error.</exception>");
        w.Line($"/// <seealso href=\"{_profile.ReferenceUrl}#command-QMP-{newest.Module}.{c.Name}\">QEMU's QMP reference</seealso>");
        Attributes(w, c.PerVersion);
        var parameters = new List<string>();
        if (args is not null)
        {
            var argType = CsType(new TypeRef(args.Name, false), false);
            parameters.Add(allOptional ? $"{argType}? arguments = null" : $"{argType} arguments");
        }

        if (oob)
        {
            parameters.Add("bool outOfBand = false");
        }

        parameters.Add("CancellationToken cancellationToken = default");
        var returnType = resultType is null ? "Task" : $"Task<{resultType}>";
        var call = resultType is null ? "ExecuteVoidAsync" : "ExecuteAsync";
        var callArgs = new List<string> { CodeWriter.Literal(c.Name) };
        if (args is not null)
        {
            callArgs.Add("arguments");
        }

        callArgs.Add(oob ? "outOfBand" : "false");
        callArgs.Add("cancellationToken");
        var generic = new List<string>();
        if (args is not null)
        {
            generic.Add(CsType(new TypeRef(args.Name, false), false));
        }

        if (resultType is not null)
        {
            generic.Add(resultType);
        }

        var genericText = generic.Count > 0 ? "<" + string.Join(", ", generic) + ">" : "";
        w.Line($"public {returnType} {method}({string.Join(", ", parameters)}) =>");
        w.Line($"    {call}{genericText}({string.Join(", ", callArgs)});");
    }

    // ---- context ----

    private string EmitContext()
    {
        var w = Header("(all)");
        w.Line("#pragma warning disable CS0618, CS0612 // The serializer must know the deprecated types too.");
        w.Line();
        w.Summary("The System.Text.Json metadata of every generated type (source generation: native-AOT safe).");
        w.Line("[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]");
        w.Line("[JsonSerializable(typeof(JsonElement))]");
        w.Line("[JsonSerializable(typeof(JsonNode))]");
        w.Line("[JsonSerializable(typeof(JsonObject))]");
        w.Line("[JsonSerializable(typeof(JsonArray))]");
        foreach (var t in _set.Types.Values.Where(t => !t.IsSynthetic || t.Name.StartsWith(":args:", StringComparison.Ordinal)).OrderBy(t => t.CsName, StringComparer.Ordinal))
        {
            Register(t.CsName);
        }

        foreach (var (type, property) in _contextTypes.OrderBy(c => c.Type, StringComparer.Ordinal))
        {
            w.Line(property is null
                ? $"[JsonSerializable(typeof({type}))]"
                : $"[JsonSerializable(typeof({type}), TypeInfoPropertyName = {CodeWriter.Literal(property)})]");
        }

        w.Line($"internal sealed partial class {_profile.JsonContext} : JsonSerializerContext;");
        return Trim(w.ToString());
    }

    private string EmitCatalog()
    {
        var w = Header("(all)");
        w.Line("#pragma warning disable CS0618, CS0612 // The catalog lists the deprecated entries too.");
        w.Line();
        w.Line("internal static partial class QapiCatalog");
        w.Line("{");
        w.Line("    private static Dictionary<string, QapiCatalogEntry> CreateCommands() => new(StringComparer.Ordinal)");
        w.Line("    {");
        foreach (var c in _set.Commands)
        {
            var result = c.Returns is null ? "null" : $"typeof({CsType(c.Returns, false)})";
            var args = c.Arguments is null ? "null" : $"typeof({c.Arguments.CsName})";
            var open = c.PerVersion.Values.Any(d => !d.Gen) ? ") { OpenArguments = true }," : "),";
            w.Line($"        [{CodeWriter.Literal(c.Name)}] = new({Versions(c)}, {Condition(c)}, {result}, {args}{open}");
        }

        w.Line("    };");
        w.Line();
        w.Line("    private static Dictionary<string, QapiCatalogEntry> CreateEvents() => new(StringComparer.Ordinal)");
        w.Line("    {");
        foreach (var e in _set.Events)
        {
            w.Line($"        [{CodeWriter.Literal(e.Name)}] = new({Versions(e)}, {Condition(e)}, typeof({e.EventData!.CsName}), null),");
        }

        w.Line("    };");
        w.Line("}");
        return Trim(w.ToString());
    }

    private string Versions(SuperType t) => "[" + string.Join(", ", _versions.Where(t.PerVersion.ContainsKey).Select(CodeWriter.Literal)) + "]";

    private static string Condition(SuperType t) =>
        t.PerVersion.Values.Select(d => d.Condition).FirstOrDefault(c => c is not null) is { } c ? CodeWriter.Literal(c) : "null";

    /// <summary>Counts for the report.</summary>
    public static string Counts(Superset set)
    {
        var lines = new List<string>();
        foreach (var s in set.Schemas)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"QEMU {s.Version} ({s.Qemu}): {s.Commands.Count} commands, {s.Events.Count} events, {s.Types.Values.Count(t => !t.Name.StartsWith(':'))} types ({s.Types.Values.Count(t => t.Kind == DefKind.Enum)} enums, {s.Types.Values.Count(t => t.Kind == DefKind.Struct && !t.Name.StartsWith(':'))} structs, {s.Types.Values.Count(t => t.Kind == DefKind.Union)} unions, {s.Types.Values.Count(t => t.Kind == DefKind.Alternate)} alternates)"));
        }

        var types = set.Types.Values.Where(t => !t.IsSynthetic).ToList();
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"superset: {set.Commands.Count} commands, {set.Events.Count} events, {types.Count} types ({types.Count(t => t.Kind == DefKind.Enum)} enums, {types.Count(t => t.Kind == DefKind.Struct)} structs, {types.Count(t => t.Kind == DefKind.Union)} unions, {types.Count(t => t.Kind == DefKind.Alternate)} alternates), {set.Types.Values.Count(t => t.Name.StartsWith(":args:", StringComparison.Ordinal))} argument records; renamed types: {string.Join(", ", types.SelectMany(t => t.PerVersion.Where(kv => kv.Value.Name != t.Name).Select(kv => kv.Value.Name + " (" + kv.Key + ") -> " + t.Name)))}"));
        return string.Join("\n", lines);
    }
}
