using System.Buffers;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Testing;

public sealed partial class QmpTestServer
{
    private byte[] BuildGreeting() => Options.RawGreeting ?? Build(w =>
    {
        w.WriteStartObject("QMP");
        w.WriteStartObject("version");
        w.WriteStartObject("qemu");
        w.WriteNumber("micro", Options.Version.Micro);
        w.WriteNumber("minor", Options.Version.Minor);
        w.WriteNumber("major", Options.Version.Major);
        w.WriteEndObject();
        w.WriteString("package", Options.Version.Package);
        w.WriteEndObject();
        w.WriteStartArray("capabilities");
        foreach (var capability in Options.Capabilities)
        {
            w.WriteStringValue(capability);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private byte[] BuildReturn(object? value, JsonElement? id) => Build(w =>
    {
        w.WritePropertyName("return");
        if (value is null)
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }
        else
        {
            WriteValue(w, value);
        }

        WriteId(w, id);
    });

    private byte[] BuildError(string errorClass, string description, JsonElement? id) => Build(w =>
    {
        w.WriteStartObject("error");
        w.WriteString("class", errorClass);
        w.WriteString("desc", description);
        w.WriteEndObject();
        WriteId(w, id);
    });

    private byte[] BuildEvent(string name, object? data, DateTimeOffset timestamp) => Build(w =>
    {
        long seconds = -1, microseconds = -1;
        if (timestamp != DateTimeOffset.MinValue)
        {
            seconds = timestamp.ToUnixTimeSeconds();
            microseconds = (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks - (seconds * TimeSpan.TicksPerSecond)) / 10;
        }

        w.WriteStartObject("timestamp");
        w.WriteNumber("seconds", seconds);
        w.WriteNumber("microseconds", microseconds);
        w.WriteEndObject();
        w.WriteString("event", name);
        if (data is not null)
        {
            w.WritePropertyName("data");
            WriteValue(w, data);
        }
    });

    private static void WriteId(Utf8JsonWriter w, JsonElement? id)
    {
        if (id is { } value)
        {
            // Echoed exactly as the client sent it.
            w.WritePropertyName("id");
            w.WriteRawValue(value.GetRawText(), skipInputValidation: true);
        }
    }

    /// <summary>Writes a reply's or an event's value with the library's own value writer and default serializer options
    /// (Qmp.Net's internals, visible to this assembly): the server writes a value exactly as the client writes arguments.</summary>
    private static void WriteValue(Utf8JsonWriter w, object value) => CommandEncoder.WriteArguments(w, value, QmpJson.DefaultOptions);

    /// <summary>Writes one message object (compact, or indented as with QEMU's <c>pretty=on</c>) followed by CRLF, as QEMU does.</summary>
    private byte[] Build(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = Options.Indented }))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
