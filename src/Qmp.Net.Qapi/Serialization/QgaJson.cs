using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Qmp.Net.Qapi.Qga;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>The helpers the generated guest agent converters call: those of <see cref="QapiJson"/>, with the metadata
/// of <see cref="QgaJsonContext"/> (the guest agent's types have a context of their own).</summary>
internal static class QgaJson
{
    /// <summary>The metadata of a generated guest agent type (or of a built-in, list or nullable form of one).</summary>
    public static JsonTypeInfo<T> Info<T>() => Cache<T>.Info;

    /// <summary>The options all reading and writing goes through (<see cref="QapiTolerantResolver"/>).</summary>
    public static JsonSerializerOptions Options => s_options;

    private static readonly JsonSerializerOptions s_options = QapiTolerantResolver.Options(QgaJsonContext.Default);

    private static class Cache<T>
    {
        public static readonly JsonTypeInfo<T> Info = (JsonTypeInfo<T>)s_options.GetTypeInfo(typeof(T));
    }

    public static string? Tag(JsonElement element, string name) => QapiJson.Tag(element, name);

    public static T Read<T>(JsonElement element) => element.Deserialize(Info<T>())!;

    public static T Read<T>(ref Utf8JsonReader reader) => JsonSerializer.Deserialize(ref reader, Info<T>())!;

    /// <summary>A member of an object, or the default when it is absent.</summary>
    public static T? Member<T>(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value.Deserialize(Info<T>()) : default;

    public static void Write<T>(Utf8JsonWriter writer, T value) => JsonSerializer.Serialize(writer, value, Info<T>());

    /// <summary>Writes a member unless it is <see langword="null"/> (optional members are never written as null).</summary>
    public static void WriteMember<T>(Utf8JsonWriter writer, string name, T value)
    {
        if (value is null || value is JsonElement { ValueKind: JsonValueKind.Undefined } || value is IQapiEnum { Value.Length: 0 })
        {
            return;
        }

        writer.WritePropertyName(name);
        JsonSerializer.Serialize(writer, value, Info<T>());
    }

    public static void WriteOtherMembers(Utf8JsonWriter writer, JsonElement? raw, ReadOnlySpan<string> known) =>
        QapiJson.WriteOtherMembers(writer, raw, known);
}
