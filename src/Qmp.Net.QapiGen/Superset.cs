namespace Qmp.Net.QapiGen;

/// <summary>A member, enum value or branch of the superset, with what each version says of it.</summary>
/// <typeparam name="T">The per-version fact type.</typeparam>
internal sealed class Merged<T>(string name)
    where T : Facts
{
    public string Name { get; } = name;

    /// <summary>The type (members and branches), in superset names; the newest version's wins.</summary>
    public TypeRef? Type { get; set; }

    /// <summary>The fact per version label, newest first.</summary>
    public Dictionary<string, T> PerVersion { get; } = new(StringComparer.Ordinal);

    /// <summary>Types this member had in other versions, when they differ from <see cref="Type"/>.</summary>
    public List<string> OtherTypes { get; } = [];
}

/// <summary>A type, command or event of the superset of every version.</summary>
internal sealed class SuperType(DefKind kind, string name)
{
    public DefKind Kind { get; } = kind;

    /// <summary>The QAPI name (the newest version's), or a synthetic one (<c>:args:cmd</c>, <c>:event:NAME</c>).</summary>
    public string Name { get; } = name;

    /// <summary>The definition per version label, newest first.</summary>
    public Dictionary<string, Definition> PerVersion { get; } = new(StringComparer.Ordinal);

    public Definition Newest => PerVersion.Values.First();

    public List<Merged<Member>> Members { get; } = [];

    public List<Merged<EnumValue>> Values { get; } = [];

    public List<Merged<Branch>> Branches { get; } = [];

    /// <summary>For a command: its argument type (a named or synthetic struct, or a union when boxed), or null.</summary>
    public SuperType? Arguments { get; set; }

    /// <summary>For an event: its data (a synthetic struct).</summary>
    public SuperType? EventData { get; set; }

    public TypeRef? Returns { get; set; }

    public bool IsSynthetic => Name.StartsWith(':');

    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>Merges the schemas of several QEMU versions into one superset. Types are matched by where they are used
/// (command arguments and returns, event data, member paths, union and alternate branches), not by name, so that a
/// type renamed between versions (QCryptoCipherAlgorithm → QCryptoCipherAlgo) is one C# type.</summary>
internal sealed class Superset
{
    private readonly Dictionary<string, SuperType> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, string>> _renames = new(StringComparer.Ordinal);

    /// <param name="schemas">The versions, newest first.</param>
    public Superset(IReadOnlyList<Schema> schemas)
    {
        Schemas = schemas;
        foreach (var schema in schemas)
        {
            AddSyntheticTypes(schema);
        }

        var newest = schemas[0];
        _renames[newest.Version] = newest.Types.Keys.ToDictionary(k => k, k => k, StringComparer.Ordinal);
        foreach (var older in schemas.Skip(1))
        {
            _renames[older.Version] = MatchTypes(newest, older);
        }

        foreach (var schema in schemas)
        {
            var map = _renames[schema.Version];
            foreach (var def in schema.Types.Values)
            {
                var name = map[def.Name];
                if (!_types.TryGetValue(name, out var t))
                {
                    t = new SuperType(def.Kind, name);
                    _types.Add(name, t);
                }

                t.PerVersion[schema.Version] = def;
            }
        }

        foreach (var t in _types.Values)
        {
            MergeParts(t);
        }

        Commands = MergeEntries(DefKind.Command);
        Events = MergeEntries(DefKind.Event);
    }

    public IReadOnlyList<Schema> Schemas { get; }

    /// <summary>Version labels, newest first.</summary>
    public IEnumerable<string> Versions => Schemas.Select(s => s.Version);

    public IReadOnlyDictionary<string, SuperType> Types => _types;

    public IReadOnlyList<SuperType> Commands { get; }

    public IReadOnlyList<SuperType> Events { get; }

    /// <summary>What a version calls a superset type, or null when it lacks it.</summary>
    public string? OriginalName(SuperType type, string version) =>
        type.PerVersion.TryGetValue(version, out var def) ? def.Name : null;

    public static string ArgumentsName(string command) => ":args:" + command;

    public static string EventDataName(string @event) => ":event:" + @event;

    private static void AddSyntheticTypes(Schema schema)
    {
        var extra = new List<Definition>();
        foreach (var cmd in schema.Commands.Values)
        {
            if (cmd.Data is null && cmd.Members.Count > 0)
            {
                extra.Add(new Definition(DefKind.Struct, ArgumentsName(cmd.Name), cmd.Module) { Members = cmd.Members, Since = cmd.Since, Condition = cmd.Condition });
            }
        }

        foreach (var ev in schema.Events.Values)
        {
            extra.Add(new Definition(DefKind.Struct, EventDataName(ev.Name), ev.Module) { Members = schema.DataMembers(ev), Since = ev.Since, Condition = ev.Condition });
        }

        foreach (var d in extra)
        {
            ((Dictionary<string, Definition>)schema.Types).Add(d.Name, d);
        }
    }

    private static string? ArgumentType(Definition command) =>
        command.Data ?? (command.Members.Count > 0 ? ArgumentsName(command.Name) : null);

    /// <summary>Maps each type name of <paramref name="older"/> to its superset name.</summary>
    private static Dictionary<string, string> MatchTypes(Schema newest, Schema older)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var claimed = new HashSet<string>(StringComparer.Ordinal);

        // A name both versions use for the same kind is the same type; the walk below finds the renamed ones.
        foreach (var (name, def) in older.Types)
        {
            if (newest.Types.TryGetValue(name, out var same) && same.Kind == def.Kind)
            {
                map[name] = name;
                claimed.Add(name);
            }
        }

        var walked = new HashSet<string>(StringComparer.Ordinal);

        void Walk(string? oldName, string? newName)
        {
            if (oldName is null || newName is null || Schema.Builtins.Contains(oldName) || Schema.Builtins.Contains(newName)
                || !older.Types.TryGetValue(oldName, out var o) || !newest.Types.TryGetValue(newName, out var n) || o.Kind != n.Kind
                || !walked.Add(oldName))
            {
                return;
            }

            if (!map.ContainsKey(oldName))
            {
                if (claimed.Contains(newName))
                {
                    return;
                }

                map[oldName] = newName;
                claimed.Add(newName);
            }
            else if (map[oldName] != newName)
            {
                return;
            }
            switch (o.Kind)
            {
                case DefKind.Struct:
                    WalkMembers(older.FlatMembers(oldName), newest.FlatMembers(newName));
                    break;
                case DefKind.Union:
                    WalkMembers(older.UnionBaseMembers(o), newest.UnionBaseMembers(n));
                    WalkBranches(o.Branches, n.Branches);
                    break;
                case DefKind.Alternate:
                    WalkBranches(o.Branches, n.Branches);
                    break;
            }
        }

        void WalkMembers(IReadOnlyList<Member> olds, IReadOnlyList<Member> news)
        {
            foreach (var om in olds)
            {
                if (news.FirstOrDefault(nm => nm.Name == om.Name) is { } nm && nm.Type.IsArray == om.Type.IsArray)
                {
                    Walk(om.Type.Name, nm.Type.Name);
                }
            }
        }

        void WalkBranches(IReadOnlyList<Branch> olds, IReadOnlyList<Branch> news)
        {
            foreach (var ob in olds)
            {
                if (news.FirstOrDefault(nb => nb.Name == ob.Name) is { } nb)
                {
                    Walk(ob.Type.Name, nb.Type.Name);
                }
            }
        }

        foreach (var oc in older.Commands.Values)
        {
            if (newest.Commands.TryGetValue(oc.Name, out var nc))
            {
                Walk(ArgumentType(oc), ArgumentType(nc));
                if (oc.Returns is { } or && nc.Returns is { } nr && or.IsArray == nr.IsArray)
                {
                    Walk(or.Name, nr.Name);
                }
            }
        }

        foreach (var oe in older.Events.Values)
        {
            if (newest.Events.ContainsKey(oe.Name))
            {
                Walk(EventDataName(oe.Name), EventDataName(oe.Name));
            }
        }

        // What no path reached: the same name and kind is the same type; another kind keeps a version suffix.
        foreach (var (name, def) in older.Types)
        {
            if (map.ContainsKey(name))
            {
                continue;
            }

            if (newest.Types.TryGetValue(name, out var n) && (n.Kind != def.Kind || claimed.Contains(name)))
            {
                map[name] = name + "@" + older.Version;
            }
            else
            {
                map[name] = name;
                claimed.Add(name);
            }
        }

        return map;
    }

    private TypeRef Rename(string version, TypeRef type) =>
        Schema.Builtins.Contains(type.Name) ? type : type.Rename(n => _renames[version][n]);

    private void MergeParts(SuperType t)
    {
        foreach (var schema in Schemas)
        {
            if (!t.PerVersion.TryGetValue(schema.Version, out var def))
            {
                continue;
            }

            switch (def.Kind)
            {
                case DefKind.Enum:
                    foreach (var v in def.Values)
                    {
                        Add(t.Values, v.Name, schema.Version, v, null);
                    }

                    break;
                case DefKind.Struct:
                    MergeMembers(t.Members, schema, schema.FlatMembers(def.Name));
                    break;
                case DefKind.Union:
                    MergeMembers(t.Members, schema, schema.UnionBaseMembers(def));
                    foreach (var b in def.Branches)
                    {
                        Add(t.Branches, b.Name, schema.Version, b, Rename(schema.Version, b.Type));
                    }

                    break;
                case DefKind.Alternate:
                    foreach (var b in def.Branches)
                    {
                        Add(t.Branches, b.Name, schema.Version, b, Rename(schema.Version, b.Type));
                    }

                    break;
            }
        }
    }

    private void MergeMembers(List<Merged<Member>> into, Schema schema, IReadOnlyList<Member> members)
    {
        foreach (var m in members)
        {
            Add(into, m.Name, schema.Version, m, Rename(schema.Version, m.Type));
        }
    }

    private static void Add<T>(List<Merged<T>> into, string name, string version, T fact, TypeRef? type)
        where T : Facts
    {
        var merged = into.FirstOrDefault(m => m.Name == name);
        if (merged is null)
        {
            merged = new Merged<T>(name) { Type = type };
            into.Add(merged);
        }
        else if (type is not null && merged.Type != type && !merged.OtherTypes.Contains(type.ToString()))
        {
            merged.OtherTypes.Add(type.ToString());
        }

        merged.PerVersion[version] = fact;
    }

    private List<SuperType> MergeEntries(DefKind kind)
    {
        var result = new Dictionary<string, SuperType>(StringComparer.Ordinal);
        foreach (var schema in Schemas)
        {
            var entries = kind == DefKind.Command ? schema.Commands : schema.Events;
            foreach (var def in entries.Values)
            {
                if (!result.TryGetValue(def.Name, out var e))
                {
                    e = new SuperType(kind, def.Name);
                    result.Add(def.Name, e);
                    if (kind == DefKind.Command)
                    {
                        e.Arguments = ArgumentType(def) is { } a ? _types[_renames[schema.Version][a]] : null;
                        e.Returns = def.Returns is { } r ? Rename(schema.Version, r) : null;
                    }
                    else
                    {
                        e.EventData = _types[_renames[schema.Version][EventDataName(def.Name)]];
                    }
                }

                e.PerVersion[schema.Version] = def;
            }
        }

        // Newest order first, then what only older versions have, in their order.
        return [.. result.Values];
    }
}
