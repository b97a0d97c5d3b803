using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>A System.Text.Json converter over a generated type's own reader and writer (<see cref="IQapiJson{TSelf}"/>):
/// what <see cref="QapiJson.Info{T}"/> builds its metadata from, and what the <c>[JsonConverter]</c> attribute of a
/// union or alternate names, so that a caller's own System.Text.Json serialization writes the QAPI form too.</summary>
/// <typeparam name="T">The generated type.</typeparam>
internal sealed class QapiConverter<T> : JsonConverter<T>
    where T : IQapiJson<T>
{
    /// <inheritdoc/>
    public override bool HandleNull => T.ReadsNull;

    /// <inheritdoc/>
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        T.ReadJson(JsonElement.ParseValue(ref reader));

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => QapiJson.Write(writer, value);
}

/// <summary>A converter over a reader delegate: a command's result that is a list or a built-in type.</summary>
/// <typeparam name="T">The result type.</typeparam>
/// <param name="read">Reads the value.</param>
/// <param name="write">Writes the value, or null when the type is only read.</param>
internal sealed class QapiDelegateConverter<T>(Func<JsonElement, T> read, Action<Utf8JsonWriter, T>? write) : JsonConverter<T>
{
    /// <inheritdoc/>
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => read(JsonElement.ParseValue(ref reader));

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (write is null)
        {
            throw new NotSupportedException($"{typeof(T).Name} is only read here.");
        }

        write(writer, value);
    }
}
