using System.Text.Json.Serialization;

namespace Qmp.Net.Qapi;

/// <summary>The base of every typed event: a generated record per QMP event (e.g. <see cref="ShutdownEvent"/>), or
/// <see cref="UnknownQapiEvent"/> for an event that this library does not know or could not decode.</summary>
public abstract record QapiEvent
{
    /// <summary>Gets the untyped event this was decoded from (name, raw data, timestamp, sequence number).</summary>
    [JsonIgnore]
    public QmpEvent Event { get; internal set; } = null!;
}

/// <summary>An event delivered untyped: its name is unknown to this library (a newer QEMU), or its data did not decode.</summary>
public sealed record UnknownQapiEvent : QapiEvent
{
    /// <summary>Gets why the event could not be decoded, or <see langword="null"/> when its name is simply unknown.</summary>
    public Exception? DecodeError { get; init; }
}
