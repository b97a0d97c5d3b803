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
        if (request.Arguments is not null && _schema.Commands.TryGetValue(request.Command, out var command))
        {
            Coerce(command.Arguments, request.Arguments, string.Empty);
        }

        JsonElement? arguments = null;
        if (request.Arguments is not null)
        {
            using var document = JsonDocument.Parse(request.Arguments.ToJsonString());
            arguments = document.RootElement.Clone();
        }

        var errors = _schema.Validate(request.Command, arguments);
        return errors.Select(e => ToProblem(request, e)).ToList();
    }

    private static RequestProblem ToProblem(QmpRequest request, QmpSchemaError error)
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
        return new RequestProblem(message, at.Start, at.Length);
    }

    /// <summary>Turns numbers and booleans into strings where the schema accepts a string but not a number or boolean.</summary>
    private static void Coerce(QmpSchemaObjectType type, JsonObject value, string path)
    {
        var members = SchemaWalk.MembersOf(type, name => value[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null);
        foreach (var name in value.Select(p => p.Key).ToList())
        {
            var member = members.FirstOrDefault(m => m.Name == name);
            if (member is null)
            {
                continue;
            }

            switch (value[name])
            {
                case JsonValue scalar when scalar.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                    && WantsStringOnly(member.Type, scalar.GetValueKind()):
                    value[name] = JsonValue.Create(scalar.ToJsonString());
                    break;
                case JsonObject nested when SchemaWalk.AsObject(member.Type) is { } nestedType:
                    Coerce(nestedType, nested, path + "." + name);
                    break;
                case JsonArray array when member.Type is QmpSchemaArrayType { ElementType: var element }:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is JsonObject item && SchemaWalk.AsObject(element) is { } itemType)
                        {
                            Coerce(itemType, item, path);
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
