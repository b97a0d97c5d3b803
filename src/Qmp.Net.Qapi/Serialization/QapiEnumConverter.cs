using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>Reads and writes an open enum as its JSON string; an unknown string is kept, never an error.</summary>
/// <typeparam name="T">The enum struct.</typeparam>
internal sealed class QapiEnumConverter<T> : JsonConverter<T>
    where T : struct, IQapiEnum<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? T.FromValue(reader.GetString()!)
            : throw new JsonException($"A {typeof(T).Name} is a JSON string, not {reader.TokenType}.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}
