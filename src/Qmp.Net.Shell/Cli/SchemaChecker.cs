using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Introspection;
using Qmp.Net.Shell.Completion;
using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Cli;

/// <summary>Checks commands against the connected QEMU's schema before they are sent, and points at each mistake where it
/// was typed. Before checking, a value typed as a number or boolean where the schema wants a string (<c>id=1</c>,
/// <c>node-name=2024</c>) is turned into that string, since the user could not have meant anything else.</summary>
internal sealed class SchemaChecker : IRequestValidator
{
    private readonly QmpSchema _schema;

    public SchemaChecker(QmpSchema schema) => _schema = schema;

    /// <inheritdoc />
    public IReadOnlyList<RequestProblem> Check(QmpRequest request)
    {
        var notSizes = new HashSet<string>(StringComparer.Ordinal);
        if (request.Arguments is not null && _schema.Commands.TryGetValue(request.Command, out var command))
        {
            Coerce(request.Command, command.Arguments, request.Arguments, string.Empty, string.Empty, notSizes);
        }

        JsonElement? arguments = null;
        if (request.Arguments is not null)
        {
            using var document = JsonDocument.Parse(request.Arguments.ToJsonString());
            arguments = document.RootElement.Clone();
        }

        var errors = _schema.Validate(request.Command, arguments);
        return errors.Select(e => ToProblem(request, e, notSizes.Contains(e.Path))).ToList();
    }

    private static RequestProblem ToProblem(QmpRequest request, QmpSchemaError error, bool suffixOnInt)
    {
        (int Start, int Length) at;
        switch (error.Kind)
        {
            case QmpSchemaErrorKind.UnknownCommand:
                at = request.CommandSpan;
                break;
            case QmpSchemaErrorKind.MissingMember:
                var cut = Math.Max(error.Path.LastIndexOf('.'), error.Path.LastIndexOf('['));
                at = cut < 0 ? request.CommandSpan : request.Locate(error.Path[..cut], pointAtValue: false);
                break;
            case QmpSchemaErrorKind.UnknownMember:
                at = request.Locate(error.Path, pointAtValue: false);
                break;
            default:
                at = request.Locate(error.Path, pointAtValue: true);
                break;
        }

        var message = error.Path.Length == 0 ? error.Message : $"{error.Path}: {error.Message}";
        if (suffixOnInt)
        {
            message += " Size suffixes (K, M, G, ...) work only on members of QAPI type size, and this one is not of QAPI type size.";
        }

        return new RequestProblem(message, at.Start, at.Length);
    }

    /// <summary>Turns numbers and booleans into strings where the schema accepts a string but not a number or boolean, and
    /// sizes with a suffix (<c>4M</c>) into numbers where the member's QAPI type is <c>size</c> (<see cref="SizeMembers"/>:
    /// the connected schema reports every integer type as <c>int</c>).</summary>
    /// <param name="command">The command, for <see cref="SizeMembers"/>.</param>
    /// <param name="type">The object type of <paramref name="value"/>.</param>
    /// <param name="value">The arguments (changed in place).</param>
    /// <param name="path">The member path as <see cref="SizeMembers"/> writes it (array elements as <c>[]</c>).</param>
    /// <param name="errorPath">The member path as the schema's errors write it (array elements as <c>[i]</c>).</param>
    /// <param name="notSizes">Collects the error paths of suffixed sizes typed on integer members that are not sizes.</param>
    private static void Coerce(string command, QmpSchemaObjectType type, JsonObject value, string path, string errorPath, HashSet<string> notSizes)
    {
        var members = SchemaWalk.MembersOf(type, name => value[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null);
        foreach (var name in value.Select(p => p.Key).ToList())
        {
            var member = members.FirstOrDefault(m => m.Name == name);
            if (member is null)
            {
                continue;
            }

            var memberPath = path.Length == 0 ? name : path + "." + name;
            var memberErrorPath = errorPath.Length == 0 ? name : errorPath + "." + name;
            switch (value[name])
            {
                case JsonValue text when text.GetValueKind() == JsonValueKind.String && TakesInt(member.Type)
                    && SizeSuffix.TryParse(text.GetValue<string>(), out var size):
                    if (SizeMembers.Paths.Contains(command + " " + memberPath))
                    {
                        value[name] = JsonValue.Create(size);
                    }
                    else
                    {
                        notSizes.Add(memberErrorPath);
                    }

                    break;
                case JsonValue scalar when scalar.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                    && WantsStringOnly(member.Type, scalar.GetValueKind()):
                    value[name] = JsonValue.Create(scalar.ToJsonString());
                    break;
                case JsonObject nested when SchemaWalk.AsObject(member.Type) is { } nestedType:
                    Coerce(command, nestedType, nested, memberPath, memberErrorPath, notSizes);
                    break;
                case JsonArray array when member.Type is QmpSchemaArrayType { ElementType: var element }:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is JsonObject item && SchemaWalk.AsObject(element) is { } itemType)
                        {
                            Coerce(command, itemType, item, memberPath + "[]", $"{memberErrorPath}[{i}]", notSizes);
                        }
                        else if (array[i] is JsonValue v && v.GetValueKind() is JsonValueKind.Number && WantsStringOnly(element, JsonValueKind.Number))
                        {
                            array[i] = JsonValue.Create(v.ToJsonString());
                        }
                    }

                    break;
            }
        }
    }

    private static bool TakesInt(QmpSchemaType type) => type switch
    {
        QmpSchemaBuiltinType builtin => builtin.JsonType == "int",
        QmpSchemaAlternateType alternate => alternate.Choices.Any(c => c is QmpSchemaBuiltinType { JsonType: "int" }),
        _ => false,
    };

    private static bool WantsStringOnly(QmpSchemaType type, JsonValueKind kind)
    {
        bool IsString(QmpSchemaType t) => t is QmpSchemaEnumType or QmpSchemaBuiltinType { JsonType: "string" };
        bool Takes(QmpSchemaType t) => t is QmpSchemaBuiltinType { JsonType: var j } && (j == "value"
            || (kind == JsonValueKind.Number && j is "int" or "number")
            || (kind is JsonValueKind.True or JsonValueKind.False && j == "boolean"));
        return type switch
        {
            QmpSchemaAlternateType alternate => alternate.Choices.Any(IsString) && !alternate.Choices.Any(Takes),
            _ => IsString(type),
        };
    }
}
