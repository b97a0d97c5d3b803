using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>Where a family of generated types gets its serializer options (QMP's <see cref="QapiJsonContext"/>, the guest
/// agent's <see cref="Qga.QgaJsonContext"/>).</summary>
internal interface IQapiMetadata
{
    /// <summary>Gets the options all reading and writing of the family goes through (<see cref="QapiTolerantResolver"/>).</summary>
    static abstract JsonSerializerOptions Options { get; }
}

/// <summary>The small helpers the generated converters share, once for both families: <see cref="QapiJson"/> and
/// <see cref="QgaJson"/> derive from this with their own metadata, so the generated code calls <c>QapiJson.Read</c> or
/// <c>QgaJson.Read</c> and both run this code.</summary>
/// <typeparam name="TMetadata">Where the family's options come from.</typeparam>
#pragma warning disable CA1000 // The static members are the point: generated code calls them through the derived class's name.
internal abstract class QapiJsonHelpers<TMetadata>
    where TMetadata : IQapiMetadata
{
    /// <summary>Gets the options all reading and writing goes through (<see cref="QapiTolerantResolver"/>).</summary>
    public static JsonSerializerOptions Options => TMetadata.Options;

    /// <summary>The metadata of a generated type (or of a built-in, list or nullable form of one).</summary>
    public static JsonTypeInfo<T> Info<T>() => Cache<T>.Info;

    /// <summary>The string value of a union's discriminator, wherever it is in the object (QEMU sends members in hash
    /// order); <see langword="null"/> when it is missing or not a string.</summary>
    public static string? Tag(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var tag) && tag.ValueKind == JsonValueKind.String
            ? tag.GetString()
            : null;

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

    private static class Cache<T>
    {
        public static readonly JsonTypeInfo<T> Info = (JsonTypeInfo<T>)TMetadata.Options.GetTypeInfo(typeof(T));
    }
}
#pragma warning restore CA1000
