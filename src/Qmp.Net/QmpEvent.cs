using System.Runtime.CompilerServices;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net;

/// <summary>An asynchronous event sent by the server.</summary>
/// <param name="Name">The event name, e.g. <c>RESUME</c>.</param>
/// <param name="Data">The event's data: an empty object when the event has none.</param>
/// <param name="Timestamp">When the server emitted the event, to the microsecond; <see cref="DateTimeOffset.MinValue"/>
/// when the server could not read its clock (QEMU then sends -1 for both parts).</param>
/// <remarks>An event the client receives keeps its <c>data</c> as the received JSON text and parses it into a
/// <see cref="JsonElement"/> the first time <see cref="Data"/> is read (once, thread-safely), so that events nobody looks
/// into cost no parsing. Equality compares <see cref="Data"/> by its JSON text.</remarks>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset Timestamp)
{
    private static readonly StrongBox<JsonElement> s_emptyData = new(QmpJson.EmptyObject);

    /// <summary>The data: a <see cref="StrongBox{T}"/> once parsed (or given), the received UTF-8 JSON before, or
    /// <see langword="null"/> for <c>default(JsonElement)</c>.</summary>
    private object? _data = Data.ValueKind == JsonValueKind.Undefined ? null : new StrongBox<JsonElement>(Data);

    /// <summary>Initializes an event as the client receives it: <paramref name="rawData"/> is the <c>data</c> member's JSON
    /// (already framed and validated), or <see langword="null"/> when the event has none.</summary>
    internal QmpEvent(string name, byte[]? rawData, DateTimeOffset timestamp, long sequence)
        : this(name, default(JsonElement), timestamp)
    {
        _data = (object?)rawData ?? s_emptyData;
        Sequence = sequence;
    }

    /// <summary>Gets the event's data: an empty object when the event has none.</summary>
    public JsonElement Data
    {
        get
        {
            var state = Volatile.Read(ref _data);
            switch (state)
            {
                case StrongBox<JsonElement> box:
                    return box.Value;
                case byte[] raw:
                    var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
                    reader.Read();
                    var parsed = new StrongBox<JsonElement>(JsonElement.ParseValue(ref reader));

                    // Two readers may parse at once; both get equal values, and one of them is kept.
                    return Interlocked.CompareExchange(ref _data, parsed, raw) is StrongBox<JsonElement> won ? won.Value : parsed.Value;
                default:
                    return default;
            }
        }

        init => _data = value.ValueKind == JsonValueKind.Undefined ? null : new StrongBox<JsonElement>(value);
    }

    /// <summary>Gets the event's number on its connection, counting from 1, so a consumer can see a gap where events were dropped.</summary>
    public long Sequence { get; init; }

    /// <inheritdoc />
    public bool Equals(QmpEvent? other) =>
        other is not null &&
        string.Equals(Name, other.Name, StringComparison.Ordinal) &&
        Timestamp == other.Timestamp &&
        Sequence == other.Sequence &&
        DataText() == other.DataText();

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Timestamp, Sequence, DataText());

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Name} {DataText()} @ {Timestamp:O}";

    private string DataText() => Volatile.Read(ref _data) switch
    {
        byte[] raw => System.Text.Encoding.UTF8.GetString(raw),
        null => string.Empty,
        _ => Data.GetRawText(),
    };
}
