using Qmp.Net.Introspection;

namespace Qmp.Net.Shell.Completion;

/// <summary>Walks the schema the way a typed line does: members of an object given the union tags already typed,
/// through alternates to their object choice, through dotted keys.</summary>
internal static class SchemaWalk
{
    /// <summary>The members of an object whose tag values are known: base members, then the selected branch's
    /// (following a branch that is itself a union).</summary>
    /// <param name="type">The object type.</param>
    /// <param name="tagValue">Reads the typed value of a member of this object, by name (<see langword="null"/> when not typed).</param>
    /// <returns>The members.</returns>
    public static List<QmpSchemaMember> MembersOf(QmpSchemaObjectType type, Func<string, string?> tagValue)
    {
        var members = new List<QmpSchemaMember>(type.Members);
        var current = type;
        var guard = 0;
        while (current.Tag is { } tag && tagValue(tag) is { } value && current.FindVariant(value) is { } variant && guard++ < 16)
        {
            members.AddRange(variant.Type.Members);
            current = variant.Type;
        }

        return members;
    }

    /// <summary>The object a value of this type is when it is an object: the type itself, or an alternate's object choice.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The object type, or <see langword="null"/>.</returns>
    public static QmpSchemaObjectType? AsObject(QmpSchemaType type) => type switch
    {
        QmpSchemaObjectType obj => obj,
        QmpSchemaAlternateType alternate => alternate.Choices.OfType<QmpSchemaObjectType>().FirstOrDefault(),
        _ => null,
    };

    /// <summary>The words a value of this type may be: enumeration values, true/false.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The values, in schema order.</returns>
    public static IEnumerable<string> ValuesOf(QmpSchemaType type)
    {
        switch (type)
        {
            case QmpSchemaEnumType enumeration:
                return enumeration.Values.Select(v => v.Name);
            case QmpSchemaBuiltinType { JsonType: "boolean" }:
                return ["true", "false"];
            case QmpSchemaAlternateType alternate:
                return alternate.Choices.SelectMany(ValuesOf).Distinct(StringComparer.Ordinal);
            default:
                return [];
        }
    }

    /// <summary>Finds the type at a dotted path of members from an object type.</summary>
    /// <param name="root">Where the path starts.</param>
    /// <param name="segments">The member names.</param>
    /// <param name="typed">The values typed so far, by full dotted path (for union tags).</param>
    /// <param name="prefix">The path of <paramref name="root"/> itself ("" for the arguments).</param>
    /// <returns>The type, or <see langword="null"/> when the path leads nowhere.</returns>
    public static QmpSchemaType? Resolve(QmpSchemaObjectType root, IReadOnlyList<string> segments, IReadOnlyDictionary<string, string> typed, string prefix)
    {
        QmpSchemaType current = root;
        var path = prefix;
        foreach (var segment in segments)
        {
            if (AsObject(current) is not { } obj)
            {
                return null;
            }

            var at = path;
            var member = MembersOf(obj, tag => typed.TryGetValue(Join(at, tag), out var v) ? v : null).FirstOrDefault(m => m.Name == segment);
            if (member is null)
            {
                return null;
            }

            current = member.Type;
            path = Join(path, segment);
        }

        return current;
    }

    /// <summary>Joins a path and a member name with a dot.</summary>
    /// <param name="path">The path ("" for the root).</param>
    /// <param name="name">The member.</param>
    /// <returns>The joined path.</returns>
    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
