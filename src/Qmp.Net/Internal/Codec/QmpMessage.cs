using System.Text.Json;

namespace Qmp.Net.Internal;

internal enum QmpMessageKind
{
    Greeting,
    Return,
    Error,
    Event,
}

/// <summary>One received message, classified in a single pass over its top-level members. Values are kept as
/// ranges into the message bytes and parsed only when (and as) they are needed.</summary>
internal readonly struct QmpMessage
{
    private static ReadOnlySpan<byte> QmpName => "QMP"u8;

    private static ReadOnlySpan<byte> ReturnName => "return"u8;

    private static ReadOnlySpan<byte> ErrorName => "error"u8;

    private static ReadOnlySpan<byte> EventMember => "event"u8;

    private static ReadOnlySpan<byte> DataName => "data"u8;

    private static ReadOnlySpan<byte> TimestampName => "timestamp"u8;

    private static ReadOnlySpan<byte> IdName => "id"u8;

    private QmpMessage(QmpMessageKind kind, Range body, Range id, Range data, Range timestamp, string? eventName)
    {
        Kind = kind;
        Body = body;
        Id = id;
        Data = data;
        Timestamp = timestamp;
        EventName = eventName;
    }

    public QmpMessageKind Kind { get; }

    /// <summary>The value of <c>QMP</c>, <c>return</c> or <c>error</c>.</summary>
    public Range Body { get; }

    /// <summary>The raw <c>id</c> value, or an empty range.</summary>
    public Range Id { get; }

    public bool HasId => !Id.Equals(default(Range));

    public Range Data { get; }

    public Range Timestamp { get; }

    public string? EventName { get; }

    /// <summary>Classifies a complete message.</summary>
    /// <exception cref="QmpCommunicationException">The message is neither a greeting, a response nor an event.</exception>
    public static QmpMessage Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
        reader.Read();
        Range greeting = default, ret = default, error = default, id = default, data = default, timestamp = default;
        string? eventName = null;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int bit;
            if (reader.ValueTextEquals(ReturnName))
            {
                bit = 1;
            }
            else if (reader.ValueTextEquals(EventMember))
            {
                bit = 2;
            }
            else if (reader.ValueTextEquals(IdName))
            {
                bit = 4;
            }
            else if (reader.ValueTextEquals(DataName))
            {
                bit = 8;
            }
            else if (reader.ValueTextEquals(TimestampName))
            {
                bit = 16;
            }
            else if (reader.ValueTextEquals(ErrorName))
            {
                bit = 32;
            }
            else if (reader.ValueTextEquals(QmpName))
            {
                bit = 64;
            }
            else
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            if ((seen & bit) != 0)
            {
                throw ExceptionFactory.DuplicateMember(reader.GetString()!);
            }

            seen |= bit;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (bit == 2)
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw ExceptionFactory.BadMember("event", "a string");
                }

                eventName = reader.GetString();
                continue;
            }

            reader.Skip();
            var range = new Range(start, (int)reader.BytesConsumed);
            switch (bit)
            {
                case 1: ret = range; break;
                case 4: id = range; break;
                case 8: data = range; break;
                case 16: timestamp = range; break;
                case 32: error = range; break;
                default: greeting = range; break;
            }
        }

        var kinds = (seen & 1) + ((seen >> 1) & 1) + ((seen >> 5) & 1) + ((seen >> 6) & 1);
        if (kinds != 1)
        {
            throw kinds == 0 ? ExceptionFactory.UnknownMessage() : ExceptionFactory.AmbiguousMessage();
        }

        if ((seen & 64) != 0)
        {
            return new QmpMessage(QmpMessageKind.Greeting, greeting, id, default, default, null);
        }

        if ((seen & 2) != 0)
        {
            return new QmpMessage(QmpMessageKind.Event, default, id, data, timestamp, eventName);
        }

        return (seen & 1) != 0
            ? new QmpMessage(QmpMessageKind.Return, ret, id, default, default, null)
            : new QmpMessage(QmpMessageKind.Error, error, id, default, default, null);
    }

    /// <summary>Reads the id as the 64-bit integer the client sends, if it is one.</summary>
    public bool TryGetNumericId(ReadOnlySpan<byte> json, out long value)
    {
        value = 0;
        if (!HasId)
        {
            return false;
        }

        var reader = new Utf8JsonReader(json[Id]);
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value);
    }

    /// <summary>Reads an error body: <c>{"class": ..., "desc": ...}</c>.</summary>
    public static (string ErrorClass, string Description) ReadError(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw ExceptionFactory.BadMember("error", "an object");
        }

        string? errorClass = null, description = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isClass = reader.ValueTextEquals("class"u8);
            var isDesc = !isClass && reader.ValueTextEquals("desc"u8);
            reader.Read();
            if ((isClass || isDesc) && reader.TokenType == JsonTokenType.String)
            {
                if (isClass)
                {
                    errorClass = reader.GetString();
                }
                else
                {
                    description = reader.GetString();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (errorClass is null)
        {
            throw ExceptionFactory.BadMember("error.class", "a string");
        }

        return (errorClass, description ?? string.Empty);
    }

    /// <summary>Reads an event timestamp; -1/-1 (clock unreadable) and a missing timestamp give <see cref="DateTimeOffset.MinValue"/>.</summary>
    public static DateTimeOffset ReadTimestamp(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return DateTimeOffset.MinValue;
        }

        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw ExceptionFactory.BadMember("timestamp", "an object");
        }

        long? seconds = null, micros = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSeconds = reader.ValueTextEquals("seconds"u8);
            var isMicros = !isSeconds && reader.ValueTextEquals("microseconds"u8);
            reader.Read();
            if (isSeconds || isMicros)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var n))
                {
                    throw ExceptionFactory.BadMember("timestamp", "whole numbers of seconds and microseconds");
                }

                if (isSeconds)
                {
                    seconds = n;
                }
                else
                {
                    micros = n;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (seconds is null or -1 || micros is null or -1)
        {
            return DateTimeOffset.MinValue;
        }

        const long maxSeconds = 253402300799; // 9999-12-31T23:59:59Z
        if (seconds < 0 || seconds > maxSeconds || micros < 0 || micros > 999_999)
        {
            throw ExceptionFactory.BadMember("timestamp", "a time between 1970 and 9999 with microseconds below 1,000,000");
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds.Value).AddTicks(micros.Value * 10);
    }

    /// <summary>Reads the greeting body: <c>{"version": {"qemu": {"major","minor","micro"}, "package"}, "capabilities": [...]}</c>.</summary>
    public static QmpGreeting ReadGreeting(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Object ||
                !version.TryGetProperty("qemu", out var qemu) || qemu.ValueKind != JsonValueKind.Object)
            {
                throw ExceptionFactory.BadGreeting("it has no version.qemu object");
            }

            var package = version.TryGetProperty("package", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : string.Empty;
            var capabilities = new List<string>();
            if (root.TryGetProperty("capabilities", out var caps))
            {
                if (caps.ValueKind != JsonValueKind.Array)
                {
                    throw ExceptionFactory.BadGreeting("capabilities is not an array");
                }

                foreach (var c in caps.EnumerateArray())
                {
                    if (c.ValueKind != JsonValueKind.String)
                    {
                        throw ExceptionFactory.BadGreeting("a capability is not a string");
                    }

                    capabilities.Add(c.GetString()!);
                }
            }

            return new QmpGreeting(
                new QmpVersion(VersionPart(qemu, "major"), VersionPart(qemu, "minor"), VersionPart(qemu, "micro"), package),
                capabilities.AsReadOnly());
        }
        catch (JsonException e)
        {
            throw ExceptionFactory.InvalidJson(e);
        }

        static int VersionPart(JsonElement qemu, string name) =>
            qemu.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0
                ? n
                : throw ExceptionFactory.BadGreeting($"version.qemu.{name} is not a non-negative whole number");
    }
}
