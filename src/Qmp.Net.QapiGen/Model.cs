using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>A reference to a QAPI type: a name, or an array of it.</summary>
internal sealed record TypeRef(string Name, bool IsArray)
{
    public static TypeRef From(JsonNode node) => node is JsonArray a
        ? new TypeRef(a[0]!.GetValue<string>(), true)
        : new TypeRef(node.GetValue<string>(), false);

    public TypeRef Rename(Func<string, string> map) => this with { Name = map(Name) };

    public override string ToString() => IsArray ? $"[{Name}]" : Name;
}

/// <summary>What every definition, member, value and branch may carry: a condition and features.</summary>
internal abstract record Facts
{
    public string? Since { get; init; }
    public string? Condition { get; init; }
    public IReadOnlyList<string> Features { get; init; } = [];
    public bool IsDeprecated => Features.Contains("deprecated");
    public bool IsUnstable => Features.Contains("unstable");
}

internal sealed record Member(string Name, TypeRef Type, bool Optional) : Facts;

internal sealed record EnumValue(string Name) : Facts;

internal sealed record Branch(string Name, TypeRef Type) : Facts;

internal enum DefKind
{
    Enum,
    Struct,
    Union,
    Alternate,
    Command,
    Event,
}

/// <summary>One definition of one schema version.</summary>
internal sealed record Definition(DefKind Kind, string Name, string Module) : Facts
{
    public IReadOnlyList<EnumValue> Values { get; init; } = [];
    public string? Base { get; init; }

    /// <summary>Own members (struct, implicit arguments or data, inline union base).</summary>
    public IReadOnlyList<Member> Members { get; init; } = [];
    public string? Discriminator { get; init; }
    public IReadOnlyList<Branch> Branches { get; init; } = [];

    /// <summary>The named argument or data type of a command or event.</summary>
    public string? Data { get; init; }
    public bool Boxed { get; init; }
    public bool AllowOob { get; init; }
    public bool Gen { get; init; } = true;
    public bool SuccessResponse { get; init; } = true;
    public TypeRef? Returns { get; init; }
}

/// <summary>One version's schema, read from its snapshot.</summary>
internal sealed class Schema
{
    public static readonly IReadOnlySet<string> Builtins = new HashSet<string>(StringComparer.Ordinal)
    {
        "str", "number", "int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size",
        "bool", "null", "any", "QType",
    };

    private Schema(string version, string qemu, List<Definition> definitions)
    {
        Version = version;
        Qemu = qemu;
        Definitions = definitions;
        Types = definitions.Where(d => d.Kind is not (DefKind.Command or DefKind.Event)).ToDictionary(d => d.Name, StringComparer.Ordinal);
        Commands = definitions.Where(d => d.Kind == DefKind.Command).ToDictionary(d => d.Name, StringComparer.Ordinal);
        Events = definitions.Where(d => d.Kind == DefKind.Event).ToDictionary(d => d.Name, StringComparer.Ordinal);
    }

    /// <summary>The version label, e.g. <c>7.2</c>.</summary>
    public string Version { get; }

    /// <summary>The exact QEMU version of the source, e.g. <c>7.2.22</c>.</summary>
    public string Qemu { get; }

    public IReadOnlyList<Definition> Definitions { get; }

    public IReadOnlyDictionary<string, Definition> Types { get; }

    public IReadOnlyDictionary<string, Definition> Commands { get; }

    public IReadOnlyDictionary<string, Definition> Events { get; }

    public static Schema Load(string version, JsonObject snapshot)
    {
        var defs = new List<Definition>();
        foreach (var node in snapshot["entities"]!.AsArray())
        {
            defs.Add(ReadDefinition(node!.AsObject()));
        }

        return new Schema(version, snapshot["qemu"]!.GetValue<string>(), defs);
    }

    /// <summary>All members of a struct with its bases flattened, base members first.</summary>
    public IReadOnlyList<Member> FlatMembers(string typeName)
    {
        var def = Types[typeName];
        if (def.Kind == DefKind.Union)
        {
            return UnionBaseMembers(def);
        }

        var list = new List<Member>();
        if (def.Base is not null)
        {
            list.AddRange(FlatMembers(def.Base));
        }

        list.AddRange(def.Members);
        return list;
    }

    /// <summary>The members common to every branch of a union (its base, flattened).</summary>
    public IReadOnlyList<Member> UnionBaseMembers(Definition union) =>
        union.Base is not null ? FlatMembers(union.Base) : union.Members;

    /// <summary>The argument (command) or data (event) members, flattened; empty when there are none.</summary>
    public IReadOnlyList<Member> DataMembers(Definition def) =>
        def.Data is not null && Types[def.Data].Kind == DefKind.Struct ? FlatMembers(def.Data) : def.Members;

    private static Definition ReadDefinition(JsonObject o)
    {
        var kind = Enum.Parse<DefKind>(o["kind"]!.GetValue<string>(), ignoreCase: true);
        var def = new Definition(kind, o["name"]!.GetValue<string>(), o["module"]!.GetValue<string>())
        {
            Since = o["since"]?.GetValue<string>(),
            Condition = Condition(o["if"]),
            Features = FeatureNames(o["features"]),
            Values = o["values"] is JsonArray values
                ? values.Select(v => new EnumValue(v!["name"]!.GetValue<string>()) { Since = v["since"]?.GetValue<string>(), Condition = Condition(v["if"]), Features = FeatureNames(v["features"]) }).ToList()
                : [],
            Base = o["base"]?.GetValue<string>(),
            Members = ReadMembers(o["members"] ?? o["base-members"]),
            Discriminator = o["discriminator"]?.GetValue<string>(),
            Branches = o["branches"] is JsonArray branches
                ? branches.Select(b => new Branch(b!["name"]!.GetValue<string>(), TypeRef.From(b["type"]!)) { Condition = Condition(b["if"]) }).ToList()
                : [],
            Data = o["data"]?.GetValue<string>(),
            Boxed = o["boxed"]?.GetValue<bool>() ?? false,
            AllowOob = o["allow-oob"]?.GetValue<bool>() ?? false,
            Gen = o["gen"]?.GetValue<bool>() ?? true,
            SuccessResponse = o["success-response"]?.GetValue<bool>() ?? true,
            Returns = o["returns"] is { } r ? TypeRef.From(r) : null,
        };
        return def;
    }

    private static List<Member> ReadMembers(JsonNode? node) => node is JsonArray members
        ? members.Select(m => new Member(m!["name"]!.GetValue<string>(), TypeRef.From(m["type"]!), m["optional"]?.GetValue<bool>() ?? false)
        {
            Since = m["since"]?.GetValue<string>(),
            Condition = Condition(m["if"]),
            Features = FeatureNames(m["features"]),
        }).ToList()
        : [];

    private static List<string> FeatureNames(JsonNode? node) => node is JsonArray a
        ? a.Select(f => f is JsonValue v ? v.GetValue<string>() : f!["name"]!.GetValue<string>()).ToList()
        : [];

    /// <summary>A condition as readable text: <c>CONFIG_LINUX</c>, <c>TARGET_S390X or TARGET_I386</c>, ...</summary>
    public static string? Condition(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v => v.GetValue<string>(),
        JsonObject o when o["all"] is JsonArray all => string.Join(" and ", all.Select(c => Wrap(Condition(c)!))),
        JsonObject o when o["any"] is JsonArray any => string.Join(" or ", any.Select(c => Wrap(Condition(c)!))),
        JsonObject o when o["not"] is { } not => "not " + Wrap(Condition(not)!),
        _ => node.ToJsonString(),
    };

    private static string Wrap(string condition) => condition.Contains(' ') ? $"({condition})" : condition;
}
