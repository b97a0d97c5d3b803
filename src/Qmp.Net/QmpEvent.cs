using System.Text.Json;

namespace Qmp.Net;

/// <summary>An asynchronous event sent by the server.</summary>
/// <param name="Name">The event name, e.g. <c>RESUME</c>.</param>
/// <param name="Data">The event's data: an empty object when the event has none.</param>
/// <param name="Timestamp">When the server emitted the event, to the microsecond; <see cref="DateTimeOffset.MinValue"/>
/// when the server could not read its clock (QEMU then sends -1 for both parts).</param>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset Timestamp)
{
    /// <summary>Gets the event's number on its connection, counting from 1, so a consumer can see a gap where events were dropped.</summary>
    public long Sequence { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Name} {Data.GetRawText()} @ {Timestamp:O}";
}
