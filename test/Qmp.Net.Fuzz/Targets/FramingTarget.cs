using System.Text;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Fuzz.Targets;

/// <summary>Target 1, framing and classification: the input is a server's byte stream, fed to <see cref="MessageReader"/>
/// in chunks of the size the configuration chooses; every message it frames is classified by <see cref="QmpMessage"/>.
/// Synchronous, single-threaded, no timers.</summary>
/// <remarks>
/// A differential check runs on every input: the same bytes are parsed by a reference built on
/// <see cref="Utf8JsonReader"/> with <see cref="JsonReaderOptions.AllowMultipleValues"/> (the whole stream as one final
/// block), and each message by <see cref="JsonDocument"/>. The two must agree on every message the reader accepts
/// (boundaries and content, and the classification of its members), and where the reader rejects the stream the
/// reference must not find a valid object there. A disagreement throws <see cref="FuzzFindingException"/>.
/// </remarks>
internal static class FramingTarget
{
    /// <summary>The size limit the target runs with: small, so that the limit's paths are reachable.</summary>
    public const int MaxMessageBytes = 4096;

    /// <summary>Default configuration: chunks of 7 bytes.</summary>
    private const byte DefaultConfig = 6;

    public static void Run(ReadOnlySpan<byte> input)
    {
        var fuzz = new FuzzInput(input, DefaultConfig);
        var data = fuzz.Data;
        var chunk = (fuzz.Config & 0x80) != 0 ? 1500 : (fuzz.Config & 0x1F) + 1;
        var framed = new List<(int Start, int Length)>();
        Exception? rejected = null;
        var consumed = 0;
        using (var reader = new MessageReader(MaxMessageBytes))
        {
            try
            {
                for (var offset = 0; offset < data.Length;)
                {
                    var free = reader.GetReceiveBuffer().Span;
                    var count = Math.Min(Math.Min(chunk, free.Length), data.Length - offset);
                    data.Slice(offset, count).CopyTo(free);
                    reader.Advance(count);
                    offset += count;
                    while (reader.TryReadMessage(out var message))
                    {
                        // Where the message sits in the stream: everything before it was consumed (messages and whitespace).
                        var start = offset - reader.BufferedBytes - message.Length;
                        framed.Add((start, message.Length));
                        consumed = start + message.Length;
                        if (!data.Slice(start, message.Length).SequenceEqual(message.Span))
                        {
                            throw new FuzzFindingException($"The reader returned bytes that are not the stream's at offset {start}.");
                        }

                        Classify(message.Span);
                    }
                }
            }
            catch (QmpCommunicationException e)
            {
                rejected = e;
            }
        }

        CompareWithReference(data, framed, rejected, consumed);
    }

    /// <summary>Classifies a message as the engine does, and checks the classification against the reference.</summary>
    private static void Classify(ReadOnlySpan<byte> json)
    {
        using var document = ParseReference(json) ?? throw new FuzzFindingException("The reader framed a message the reference cannot parse: " + Show(json));
        if (!IsUnicodeText(json))
        {
            throw new FuzzFindingException("The reader framed a message that is not Unicode text: " + Show(json));
        }

        var expected = ReferenceClassification.Of(document.RootElement);
        QmpMessage message;
        try
        {
            message = QmpMessage.Parse(json);
        }
        catch (QmpCommunicationException e)
        {
            if (expected.Error is null)
            {
                throw new FuzzFindingException($"The classifier rejected ({e.Message}) a message the reference classifies as {expected.Kind}: " + Show(json));
            }

            return;
        }

        if (expected.Error is not null)
        {
            throw new FuzzFindingException($"The classifier accepted a message the reference rejects ({expected.Error}): " + Show(json));
        }

        if (message.Kind != expected.Kind)
        {
            throw new FuzzFindingException($"Kind {message.Kind}, reference {expected.Kind}: " + Show(json));
        }

        Same("body", json, message.Body, expected.Body);
        Same("id", json, message.Id, expected.Id);
        if (message.Kind == QmpMessageKind.Event)
        {
            Same("data", json, message.Data, expected.Data);
            Same("timestamp", json, message.Timestamp, expected.Timestamp);
            if (message.EventName != expected.EventName)
            {
                throw new FuzzFindingException($"Event name '{message.EventName}', reference '{expected.EventName}'.");
            }
        }

        // The readers of each kind must end with a value or a QmpCommunicationException, nothing else.
        try
        {
            switch (message.Kind)
            {
                case QmpMessageKind.Greeting:
                    QmpMessage.ReadGreeting(json[message.Body]);
                    break;
                case QmpMessageKind.Error:
                    QmpMessage.ReadError(json[message.Body]);
                    break;
                case QmpMessageKind.Event:
                    QmpMessage.ReadTimestamp(message.Timestamp.Equals(default(Range)) ? default : json[message.Timestamp]);
                    break;
            }

            message.TryGetNumericId(json, out _);
        }
        catch (QmpCommunicationException)
        {
            // The documented answer to a malformed greeting, error or timestamp.
        }
    }

    private static void Same(string what, ReadOnlySpan<byte> json, Range actual, string? expected)
    {
        var hasActual = !actual.Equals(default(Range));
        if (hasActual != (expected is not null) || (hasActual && Encoding.UTF8.GetString(json[actual]) != expected))
        {
            throw new FuzzFindingException($"Member '{what}': classifier {(hasActual ? Encoding.UTF8.GetString(json[actual]) : "absent")}, reference {expected ?? "absent"}.");
        }
    }

    /// <summary>The reference framing: every top-level value of the stream in order, then how the stream ends.</summary>
    private static void CompareWithReference(ReadOnlySpan<byte> data, List<(int Start, int Length)> framed, Exception? rejected, int consumed)
    {
        var options = new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = MessageReader.MaxDepth };
        var reader = new Utf8JsonReader(data, isFinalBlock: true, new JsonReaderState(options));
        var index = 0;
        string? referenceEnd = null;
        try
        {
            while (index < framed.Count && reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var length = (int)reader.BytesConsumed - start;
                if ((start, length) != framed[index])
                {
                    throw new FuzzFindingException($"Message {index}: the reader framed {framed[index]}, the reference ({start}, {length}).");
                }

                index++;
            }

            if (index < framed.Count)
            {
                throw new FuzzFindingException($"The reader framed {framed.Count} messages, the reference found {index}.");
            }

            // After the last message both must see the same: the end of the stream, or something that is not a valid
            // object within the limit. What the reader left unfinished (a partial message) the reference sees as truncated.
            if (reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                var isObject = reader.TokenType == JsonTokenType.StartObject;
                reader.Skip();
                var length = (int)reader.BytesConsumed - start;
                var valid = isObject && length <= MaxMessageBytes && IsUnicodeText(data.Slice(start, length));
                if (valid)
                {
                    throw new FuzzFindingException(rejected is null
                        ? $"The reference found a complete object at {start} (length {length}) that the reader did not frame."
                        : $"The reader rejected the stream ({rejected.Message}) where the reference found a valid object at {start} (length {length}).");
                }

                referenceEnd = isObject ? "an object over the limit" : $"a {reader.TokenType}";
            }
        }
        catch (JsonException e)
        {
            referenceEnd = "invalid JSON: " + e.Message;
        }

        var restIsBlank = data[consumed..].TrimStart(" \t\r\n"u8).IsEmpty;
        if (referenceEnd is not null && rejected is null && restIsBlank)
        {
            throw new FuzzFindingException($"The reader accepted the whole stream; the reference ends with {referenceEnd}.");
        }

        if (referenceEnd is null && rejected is not null)
        {
            throw new FuzzFindingException($"The reader rejected ({rejected.Message}) a stream the reference accepts whole.");
        }
    }

    /// <summary>The reference's view of "Unicode text": valid UTF-8 (System.Text.Json's readers do not check it inside
    /// strings) and every string and member name decodable (an escaped lone surrogate is not).</summary>
    private static bool IsUnicodeText(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            return false;
        }

        using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = MessageReader.MaxDepth });
        try
        {
            Decode(document.RootElement);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static void Decode(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Decode(item);
                    }

                    break;
                case JsonValueKind.Object:
                    foreach (var member in element.EnumerateObject())
                    {
                        _ = member.Name;
                        Decode(member.Value);
                    }

                    break;
            }
        }
    }

    private static JsonDocument? ParseReference(ReadOnlySpan<byte> json)
    {
        try
        {
            var bytes = json.ToArray();
            var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MessageReader.MaxDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return null;
            }

            return document;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Show(ReadOnlySpan<byte> json) => json.Length <= 200 ? Encoding.UTF8.GetString(json) : Encoding.UTF8.GetString(json[..200]) + "...";

    /// <summary>The classification rules of docs/protocol.md, written over <see cref="JsonDocument"/> instead of a
    /// single forward pass: exactly one of <c>QMP</c>, <c>return</c>, <c>error</c>, <c>event</c>; no known member twice;
    /// an event's name a string.</summary>
    private sealed class ReferenceClassification
    {
        private static readonly string[] s_known = ["return", "event", "id", "data", "timestamp", "error", "QMP"];

        public QmpMessageKind Kind { get; private init; }

        public string? Error { get; private init; }

        public string? Body { get; private init; }

        public string? Id { get; private init; }

        public string? Data { get; private init; }

        public string? Timestamp { get; private init; }

        public string? EventName { get; private init; }

        public static ReferenceClassification Of(JsonElement root)
        {
            var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                var name = Array.Find(s_known, k => property.NameEquals(k));
                if (name is null)
                {
                    continue;
                }

                if (values.ContainsKey(name))
                {
                    return new ReferenceClassification { Error = "duplicate " + name };
                }

                values[name] = property.Value;
                if (name == "event" && property.Value.ValueKind != JsonValueKind.String)
                {
                    return new ReferenceClassification { Error = "event not a string" };
                }
            }

            var kinds = new[] { "QMP", "return", "error", "event" }.Count(values.ContainsKey);
            if (kinds != 1)
            {
                return new ReferenceClassification { Error = kinds == 0 ? "no kind" : "ambiguous" };
            }

            string? Raw(string name) => values.TryGetValue(name, out var v) ? v.GetRawText() : null;
            if (values.ContainsKey("QMP"))
            {
                return new ReferenceClassification { Kind = QmpMessageKind.Greeting, Body = Raw("QMP"), Id = Raw("id") };
            }

            if (values.TryGetValue("event", out var eventName))
            {
                return new ReferenceClassification
                {
                    Kind = QmpMessageKind.Event, Id = Raw("id"), Data = Raw("data"), Timestamp = Raw("timestamp"),
                    EventName = eventName.GetString(),
                };
            }

            return values.ContainsKey("return")
                ? new ReferenceClassification { Kind = QmpMessageKind.Return, Body = Raw("return"), Id = Raw("id") }
                : new ReferenceClassification { Kind = QmpMessageKind.Error, Body = Raw("error"), Id = Raw("id") };
        }
    }
}
