using System.Runtime.CompilerServices;
using System.Text.Json;
using Qmp.Net.Introspection;

namespace Qmp.Net.Qapi;

/// <summary>Finds the argument members and enum values a command's arguments use that the connected QEMU's schema marks
/// <c>deprecated</c>, at any depth: nested objects, union branches (chosen by their tag's value), list elements and
/// alternates (chosen by the JSON kind, as QEMU does).</summary>
/// <remarks>Paths are written as <see cref="QmpSchema.Validate(string, JsonElement?)"/> writes them, except that a list
/// element is <c>[]</c> rather than <c>[0]</c>: a deprecated member is one finding however many elements use it.</remarks>
internal static class QapiDeprecatedUse
{
    private const string Deprecated = "deprecated";

    private static readonly ConditionalWeakTable<QmpSchemaCommand, StrongBox<bool>> s_reaches = [];

    /// <summary>One use of a deprecated member or enum value.</summary>
    /// <param name="Path">The member path, e.g. <c>backend.data.reconnect</c>.</param>
    /// <param name="EnumValue">The deprecated enum value at <paramref name="Path"/>, or null for a deprecated member.</param>
    public readonly record struct Finding(string Path, string? EnumValue);

    /// <summary>Returns the deprecated members and enum values <paramref name="arguments"/> use, in document order,
    /// each once.</summary>
    /// <param name="command">The command in the connected QEMU's schema.</param>
    /// <param name="arguments">The serialized arguments.</param>
    /// <returns>The findings; empty (without walking the arguments) when nothing deprecated is reachable from the
    /// command's argument type.</returns>
    public static IReadOnlyList<Finding> Find(QmpSchemaCommand command, JsonElement arguments)
    {
        if (!s_reaches.GetValue(command, c => new StrongBox<bool>(Reaches(c.Arguments, []))).Value)
        {
            return [];
        }

        var found = new List<Finding>();
        Visit(command.Arguments, arguments, "", found);
        return found;
    }

    /// <summary>Whether a deprecated member or enum value is reachable from <paramref name="type"/>.</summary>
    private static bool Reaches(QmpSchemaType type, HashSet<QmpSchemaType> seen)
    {
        if (!seen.Add(type))
        {
            return false;
        }

        return type switch
        {
            QmpSchemaEnumType e => e.Values.Any(v => v.Features.Contains(Deprecated)),
            QmpSchemaArrayType a => Reaches(a.ElementType, seen),
            QmpSchemaAlternateType alt => alt.Choices.Any(c => Reaches(c, seen)),
            QmpSchemaObjectType o => o.Members.Any(m => m.Features.Contains(Deprecated) || Reaches(m.Type, seen))
                || o.Variants.Any(v => Reaches(v.Type, seen)),
            _ => false,
        };
    }

    private static void Visit(QmpSchemaType type, JsonElement value, string path, List<Finding> found)
    {
        switch (type)
        {
            case QmpSchemaEnumType e when value.ValueKind == JsonValueKind.String:
                var text = value.GetString()!;
                if (e.Values.Any(v => v.Features.Contains(Deprecated) && string.Equals(v.Name, text, StringComparison.Ordinal)))
                {
                    Add(found, new Finding(path, text));
                }

                break;
            case QmpSchemaArrayType a when value.ValueKind == JsonValueKind.Array:
                foreach (var element in value.EnumerateArray())
                {
                    Visit(a.ElementType, element, path + "[]", found);
                }

                break;
            case QmpSchemaAlternateType alt:
                if (Choose(alt, value) is { } choice)
                {
                    Visit(choice, value, path, found);
                }

                break;
            case QmpSchemaObjectType o when value.ValueKind == JsonValueKind.Object:
                var members = new List<QmpSchemaMember>();
                Collect(o, value, members);
                foreach (var property in value.EnumerateObject())
                {
                    var member = members.Find(m => string.Equals(m.Name, property.Name, StringComparison.Ordinal));
                    if (member is null)
                    {
                        continue;
                    }

                    var memberPath = path.Length == 0 ? member.Name : path + "." + member.Name;
                    if (member.Features.Contains(Deprecated))
                    {
                        Add(found, new Finding(memberPath, null));
                    }

                    Visit(member.Type, property.Value, memberPath, found);
                }

                break;
        }
    }

    /// <summary>The base members, then those of the branch the tag selects, following a branch that is a union itself.</summary>
    private static void Collect(QmpSchemaObjectType type, JsonElement value, List<QmpSchemaMember> members)
    {
        members.AddRange(type.Members);
        if (type.Tag is { } tag && value.TryGetProperty(tag, out var tagValue) && tagValue.ValueKind == JsonValueKind.String
            && type.FindVariant(tagValue.GetString()!) is { } variant)
        {
            Collect(variant.Type, value, members);
        }
    }

    private static QmpSchemaType? Choose(QmpSchemaAlternateType alternate, JsonElement value) => alternate.Choices.FirstOrDefault(c => (c, value.ValueKind) switch
    {
        (QmpSchemaObjectType, JsonValueKind.Object) => true,
        (QmpSchemaArrayType, JsonValueKind.Array) => true,
        (QmpSchemaEnumType, JsonValueKind.String) => true,
        (QmpSchemaBuiltinType { JsonType: "string" }, JsonValueKind.String) => true,
        _ => false,
    });

    private static void Add(List<Finding> found, Finding finding)
    {
        if (!found.Contains(finding))
        {
            found.Add(finding);
        }
    }
}
