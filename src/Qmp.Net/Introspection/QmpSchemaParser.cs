using System.Text.Json;

namespace Qmp.Net.Introspection;

/// <summary>Builds a <see cref="QmpSchema"/> from <c>query-qmp-schema</c>'s entries in two passes: every type first (so that
/// references, recursive ones included, resolve whatever the order), then their members, commands and events.</summary>
internal static class QmpSchemaParser
{
    public static QmpSchema Parse(JsonElement entries)
    {
        if (entries.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"A QMP schema is an array of entries, not {Describe(entries.ValueKind)}.");
        }

        var types = new Dictionary<string, QmpSchemaType>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            var (name, metaType) = ReadHeader(entry, index++);
            if (metaType is "command" or "event")
            {
                continue;
            }

            if (types.ContainsKey(name))
            {
                throw new FormatException($"The schema defines type '{name}' twice.");
            }

            var features = ReadFeatures(entry);
            types.Add(name, metaType switch
            {
                "builtin" => new QmpSchemaBuiltinType(name, ReadString(entry, "json-type", name), features),
                "enum" => new QmpSchemaEnumType(name, ReadEnumValues(entry, name), features),
                "array" => new QmpSchemaArrayType(name, features),
                "object" => new QmpSchemaObjectType(name, ReadOptionalString(entry, "tag"), features),
                "alternate" => new QmpSchemaAlternateType(name, features),
                _ => new QmpSchemaBuiltinType(name, "value", features),
            });
        }

        var commands = new Dictionary<string, QmpSchemaCommand>(StringComparer.Ordinal);
        var events = new Dictionary<string, QmpSchemaEvent>(StringComparer.Ordinal);
        index = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            var (name, metaType) = ReadHeader(entry, index++);
            switch (metaType)
            {
                case "array":
                    ((QmpSchemaArrayType)types[name]).ElementType = Resolve(types, ReadString(entry, "element-type", name), name);
                    break;
                case "object":
                    FillObject((QmpSchemaObjectType)types[name], entry, types);
                    break;
                case "alternate":
                    FillAlternate((QmpSchemaAlternateType)types[name], entry, types);
                    break;
                case "command":
                    commands[name] = new QmpSchemaCommand(
                        name,
                        ResolveObject(types, ReadOptionalString(entry, "arg-type"), name, "arguments"),
                        ReadOptionalString(entry, "ret-type") is { } ret ? Resolve(types, ret, name) : EmptyObject(types),
                        entry.TryGetProperty("allow-oob", out var oob) && oob.ValueKind == JsonValueKind.True,
                        ReadFeatures(entry));
                    break;
                case "event":
                    events[name] = new QmpSchemaEvent(
                        name,
                        ResolveObject(types, ReadOptionalString(entry, "arg-type"), name, "data"),
                        ReadFeatures(entry));
                    break;
            }
        }

        return new QmpSchema(types, commands, events);
    }

    private static void FillObject(QmpSchemaObjectType type, JsonElement entry, Dictionary<string, QmpSchemaType> types)
    {
        if (entry.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array)
        {
            foreach (var member in members.EnumerateArray())
            {
                var memberName = ReadString(member, "name", type.Name);
                type.AddMember(new QmpSchemaMember(
                    memberName,
                    Resolve(types, ReadString(member, "type", type.Name), type.Name),
                    // In introspection an optional member carries "default" (null when it has none); a mandatory one has none.
                    member.TryGetProperty("default", out _),
                    ReadFeatures(member)));
            }
        }

        if (entry.TryGetProperty("variants", out var variants) && variants.ValueKind == JsonValueKind.Array)
        {
            foreach (var variant in variants.EnumerateArray())
            {
                var branch = ReadString(variant, "type", type.Name);
                type.AddVariant(new QmpSchemaVariant(ReadString(variant, "case", type.Name), ResolveObject(types, branch, type.Name, "branch")));
            }
        }
    }

    private static void FillAlternate(QmpSchemaAlternateType type, JsonElement entry, Dictionary<string, QmpSchemaType> types)
    {
        if (entry.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array)
        {
            foreach (var member in members.EnumerateArray())
            {
                type.AddChoice(Resolve(types, ReadString(member, "type", type.Name), type.Name));
            }
        }
    }

    private static QmpSchemaType Resolve(Dictionary<string, QmpSchemaType> types, string name, string user) =>
        types.TryGetValue(name, out var type)
            ? type
            : throw new FormatException($"Schema entry '{user}' refers to type '{name}', which the schema does not define.");

    private static QmpSchemaObjectType ResolveObject(Dictionary<string, QmpSchemaType> types, string? name, string user, string role)
    {
        if (name is null)
        {
            return EmptyObject(types);
        }

        return Resolve(types, name, user) as QmpSchemaObjectType
            ?? throw new FormatException($"The {role} of schema entry '{user}' must be an object type; '{name}' is not.");
    }

    /// <summary>The object type without members that stands for "no arguments" or "no data" when an entry names none.</summary>
    private static QmpSchemaObjectType EmptyObject(Dictionary<string, QmpSchemaType> types)
    {
        const string Name = "{}";
        if (!types.TryGetValue(Name, out var empty))
        {
            empty = new QmpSchemaObjectType(Name, null, QmpSchema.NoFeatures);
            types.Add(Name, empty);
        }

        return (QmpSchemaObjectType)empty;
    }

    private static IReadOnlyList<QmpSchemaEnumValue> ReadEnumValues(JsonElement entry, string name)
    {
        var values = new List<QmpSchemaEnumValue>();
        if (entry.TryGetProperty("members", out var members) && members.ValueKind == JsonValueKind.Array)
        {
            foreach (var member in members.EnumerateArray())
            {
                values.Add(new QmpSchemaEnumValue(ReadString(member, "name", name), ReadFeatures(member)));
            }
        }
        else if (entry.TryGetProperty("values", out var plain) && plain.ValueKind == JsonValueKind.Array)
        {
            // QEMU before 6.0 lists the values as plain strings only.
            foreach (var value in plain.EnumerateArray())
            {
                values.Add(new QmpSchemaEnumValue(value.GetString() ?? string.Empty, QmpSchema.NoFeatures));
            }
        }

        return values.AsReadOnly();
    }

    private static (string Name, string MetaType) ReadHeader(JsonElement entry, int index)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"Schema entry {index} is {Describe(entry.ValueKind)}, not an object.");
        }

        var name = ReadOptionalString(entry, "name") ?? throw new FormatException($"Schema entry {index} has no name.");
        var metaType = ReadOptionalString(entry, "meta-type") ?? throw new FormatException($"Schema entry {index} ('{name}') has no meta-type.");
        return (name, metaType);
    }

    private static IReadOnlyList<string> ReadFeatures(JsonElement entry)
    {
        if (!entry.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array || features.GetArrayLength() == 0)
        {
            return QmpSchema.NoFeatures;
        }

        var list = new List<string>(features.GetArrayLength());
        foreach (var feature in features.EnumerateArray())
        {
            if (feature.ValueKind == JsonValueKind.String)
            {
                list.Add(feature.GetString()!);
            }
        }

        return list.AsReadOnly();
    }

    private static string ReadString(JsonElement element, string property, string user) =>
        ReadOptionalString(element, property)
        ?? throw new FormatException($"Schema entry '{user}' has an element without its string member '{property}'.");

    private static string? ReadOptionalString(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "a " + kind.ToString().ToLowerInvariant(),
    };
}
