using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>The small helpers the generated readers and writers call, for both families (QMP and the guest agent).
/// Each generated type reads and writes itself (<see cref="IQapiJson{TSelf}"/>) and calls its members' types
/// directly; there is no serializer context and no table of all types, so native AOT keeps only what a program
/// reaches (docs/qapi.md, "How a type is read and written").</summary>
#pragma warning disable CA1000 // The static members are the point: generated code calls them.
internal static class QapiJson
{
    // Options for the converter-backed metadata below: no resolver reaches any other type.
    private static readonly JsonSerializerOptions s_options = CreateOptions();

    /// <summary>Reads a generated type.</summary>
    public static T Read<T>(JsonElement element)
        where T : IQapiJson<T> => T.ReadJson(element);

    /// <summary>Writes a generated type (JSON <c>null</c> for a null reference).</summary>
    public static void Write<T>(Utf8JsonWriter writer, T value)
        where T : IQapiJson<T>
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        T.WriteJson(writer, value);
    }

    /// <summary>System.Text.Json metadata of a generated type, over its own reader and writer: for the client's
    /// <c>ExecuteAsync</c>, <see cref="IQapiEvent{TSelf}.JsonTypeInfo"/> and a caller's own serialization.</summary>
    public static JsonTypeInfo<T> Info<T>()
        where T : IQapiJson<T> => InfoCache<T>.Info;

    /// <summary>Metadata that reads a value through <paramref name="read"/> (a command's result that is a list or a
    /// built-in type); the same for every call with the same <typeparamref name="T"/>.</summary>
    public static JsonTypeInfo<T> ResultInfo<T>(Func<JsonElement, T> read) =>
        ResultCache<T>.Info ??= JsonMetadataServices.CreateValueInfo<T>(s_options, new QapiDelegateConverter<T>(read, null));

    /// <summary>Writes a value to a <see cref="JsonElement"/> (a command's arguments, for the schema check and the wire).</summary>
    public static JsonElement ToElement<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, value);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Fails unless <paramref name="element"/> is an object (a record's JSON).</summary>
    public static void ExpectObject(JsonElement element, string type)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"A {type} is a JSON object, not {element.ValueKind}.");
        }
    }

    /// <summary>The string value of a union's discriminator, wherever it is in the object (QEMU sends members in hash
    /// order); <see langword="null"/> when it is missing or not a string.</summary>
    public static string? Tag(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var tag) && tag.ValueKind == JsonValueKind.String
            ? tag.GetString()
            : null;

    // ---- members: absent or JSON null is the default (a reply from another QEMU version must still decode) ----

    /// <summary>A member of a generated type, or the default when it is absent or JSON null (unless the type has a
    /// null branch).</summary>
    public static T? Member<T>(JsonElement element, string name)
        where T : IQapiJson<T> =>
        element.TryGetProperty(name, out var value) && (value.ValueKind != JsonValueKind.Null || T.ReadsNull) ? T.ReadJson(value) : default;

    /// <summary>An optional member of a generated value type (an enum).</summary>
    public static T? ValueMember<T>(JsonElement element, string name)
        where T : struct, IQapiJson<T> =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? T.ReadJson(value) : null;

    /// <summary>A member of a built-in reference type (or a non-nullable built-in value type), or the default.</summary>
    public static T? Member<T>(JsonElement element, string name, Func<JsonElement, T> read) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? read(value) : default;

    /// <summary>An optional member of a built-in value type.</summary>
    public static T? ValueMember<T>(JsonElement element, string name, Func<JsonElement, T> read)
        where T : struct =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? read(value) : null;

    /// <summary>A list member, or <see langword="null"/>.</summary>
    public static IReadOnlyList<T>? ListMember<T>(JsonElement element, string name, Func<JsonElement, T> read) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? ReadList(value, read) : null;

    /// <summary>A member of QAPI type <c>any</c>: JSON null is a value; absent is the default (undefined) element.</summary>
    public static JsonElement AnyMember(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.Clone() : default;

    /// <summary>The members of an object beyond <paramref name="known"/>, as elements (a command's open arguments),
    /// or <see langword="null"/> when there are none.</summary>
    public static Dictionary<string, object>? OpenMembers(JsonElement element, ReadOnlySpan<string> known)
    {
        Dictionary<string, object>? extra = null;
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                (extra ??= new(StringComparer.Ordinal))[property.Name] = property.Value.Clone();
            }
        }

        return extra;
    }

    /// <summary>The members of an object beyond <paramref name="known"/> (a union branch that is itself a union keeps
    /// its own branches' members so), or <see langword="null"/> when there are none.</summary>
    public static Dictionary<string, JsonElement>? OtherMembers(JsonElement element, ReadOnlySpan<string> known)
    {
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                (extra ??= new(StringComparer.Ordinal))[property.Name] = property.Value.Clone();
            }
        }

        return extra;
    }

    // ---- values ----

    public static IReadOnlyList<T> ReadList<T>(JsonElement element, Func<JsonElement, T> read)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"A list is a JSON array, not {element.ValueKind}.");
        }

        var list = new List<T>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.Null ? default! : read(item));
        }

        return list;
    }

    public static void WriteList<T>(Utf8JsonWriter writer, IReadOnlyList<T> value, Action<Utf8JsonWriter, T> write)
    {
        writer.WriteStartArray();
        foreach (var item in value)
        {
            if (item is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                write(writer, item);
            }
        }

        writer.WriteEndArray();
    }

    public static T ReadEnum<T>(JsonElement element)
        where T : struct, IQapiEnum<T> =>
        element.ValueKind == JsonValueKind.String
            ? T.FromValue(element.GetString()!)
            : throw new JsonException($"A {typeof(T).Name} is a JSON string, not {element.ValueKind}.");

    public static string ReadString(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Kind(element, "a string");

    public static bool ReadBool(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Kind(element, "a bool"),
    };

    public static long ReadInt64(JsonElement element) => Number(element) && element.TryGetInt64(out var v) ? v : throw Kind(element, "a 64-bit integer");

    public static ulong ReadUInt64(JsonElement element) => Number(element) && element.TryGetUInt64(out var v) ? v : throw Kind(element, "an unsigned 64-bit integer");

    public static int ReadInt32(JsonElement element) => Number(element) && element.TryGetInt32(out var v) ? v : throw Kind(element, "a 32-bit integer");

    public static uint ReadUInt32(JsonElement element) => Number(element) && element.TryGetUInt32(out var v) ? v : throw Kind(element, "an unsigned 32-bit integer");

    public static short ReadInt16(JsonElement element) => Number(element) && element.TryGetInt16(out var v) ? v : throw Kind(element, "a 16-bit integer");

    public static ushort ReadUInt16(JsonElement element) => Number(element) && element.TryGetUInt16(out var v) ? v : throw Kind(element, "an unsigned 16-bit integer");

    public static sbyte ReadSByte(JsonElement element) => Number(element) && element.TryGetSByte(out var v) ? v : throw Kind(element, "an 8-bit integer");

    public static byte ReadByte(JsonElement element) => Number(element) && element.TryGetByte(out var v) ? v : throw Kind(element, "an unsigned 8-bit integer");

    public static double ReadDouble(JsonElement element) => Number(element) && element.TryGetDouble(out var v) ? v : throw Kind(element, "a number");

    /// <summary>A value of QAPI type <c>any</c> (kept as it is, also JSON null).</summary>
    public static JsonElement ReadAny(JsonElement element) => element.Clone();

    /// <summary>An open value a user also builds (<see cref="JsonNode"/>).</summary>
    public static JsonNode? ReadNode(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element.Clone()),
        JsonValueKind.Array => JsonArray.Create(element.Clone()),
        JsonValueKind.Null => null,
        _ => JsonValue.Create(element.Clone()),
    };

    public static void WriteString(Utf8JsonWriter writer, string value) => writer.WriteStringValue(value);

    public static void WriteBool(Utf8JsonWriter writer, bool value) => writer.WriteBooleanValue(value);

    public static void WriteInt64(Utf8JsonWriter writer, long value) => writer.WriteNumberValue(value);

    public static void WriteUInt64(Utf8JsonWriter writer, ulong value) => writer.WriteNumberValue(value);

    public static void WriteInt32(Utf8JsonWriter writer, int value) => writer.WriteNumberValue(value);

    public static void WriteUInt32(Utf8JsonWriter writer, uint value) => writer.WriteNumberValue(value);

    public static void WriteInt16(Utf8JsonWriter writer, short value) => writer.WriteNumberValue(value);

    public static void WriteUInt16(Utf8JsonWriter writer, ushort value) => writer.WriteNumberValue(value);

    public static void WriteSByte(Utf8JsonWriter writer, sbyte value) => writer.WriteNumberValue(value);

    public static void WriteByte(Utf8JsonWriter writer, byte value) => writer.WriteNumberValue(value);

    public static void WriteDouble(Utf8JsonWriter writer, double value) => writer.WriteNumberValue(value);

    public static void WriteAny(Utf8JsonWriter writer, JsonElement value) => value.WriteTo(writer);

    public static void WriteNode(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    /// <summary>Writes a command's open arguments (<c>Properties</c>): strings, numbers, bools, <see cref="JsonElement"/>
    /// and <see cref="JsonNode"/> values; another type fails before anything is sent.</summary>
    public static void WriteOpenMembers(Utf8JsonWriter writer, Dictionary<string, object>? members)
    {
        if (members is null)
        {
            return;
        }

        foreach (var (name, value) in members)
        {
            writer.WritePropertyName(name);
            WriteOpenValue(writer, value);
        }
    }

    /// <summary>Writes extension members kept as elements.</summary>
    public static void WriteOtherMembers(Utf8JsonWriter writer, Dictionary<string, JsonElement>? members)
    {
        if (members is null)
        {
            return;
        }

        foreach (var (name, value) in members)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }

    /// <summary>Writes the members of <paramref name="raw"/> that are not among <paramref name="known"/>: a union
    /// value read as its base record (an empty or unknown branch) keeps the members only QEMU knows.</summary>
    public static void WriteOtherMembers(Utf8JsonWriter writer, JsonElement? raw, ReadOnlySpan<string> known)
    {
        if (raw is not { ValueKind: JsonValueKind.Object } element)
        {
            return;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                property.WriteTo(writer);
            }
        }
    }

    private static void WriteOpenValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case uint u: writer.WriteNumberValue(u); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case short s: writer.WriteNumberValue(s); break;
            case ushort u: writer.WriteNumberValue(u); break;
            case byte b: writer.WriteNumberValue(b); break;
            case sbyte s: writer.WriteNumberValue(s); break;
            case double d: writer.WriteNumberValue(d); break;
            case float f: writer.WriteNumberValue(f); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case JsonElement e: e.WriteTo(writer); break;
            case JsonNode n: n.WriteTo(writer); break;
            default: throw new NotSupportedException($"An open argument value of type {value.GetType()} cannot be written: use a string, a number, a bool, a JsonElement or a JsonNode.");
        }
    }

    private static bool Number(JsonElement element) => element.ValueKind == JsonValueKind.Number;

    private static JsonException Kind(JsonElement element, string what) => new($"Expected {what}, not the JSON {element.ValueKind} {Shorten(element)}.");

    private static string Shorten(JsonElement element)
    {
        var text = element.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? "" : element.GetRawText();
        return text.Length > 40 ? text[..40] + "..." : text;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() };
        options.MakeReadOnly();
        return options;
    }

    private static class InfoCache<T>
        where T : IQapiJson<T>
    {
        public static readonly JsonTypeInfo<T> Info = JsonMetadataServices.CreateValueInfo<T>(s_options, new QapiConverter<T>());
    }

    private static class ResultCache<T>
    {
        public static JsonTypeInfo<T>? Info;
    }
}
#pragma warning restore CA1000
