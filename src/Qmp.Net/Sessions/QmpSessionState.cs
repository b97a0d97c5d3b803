namespace Qmp.Net.Sessions;

/// <summary>Where a <see cref="QmpSession"/> stands.</summary>
public enum QmpSessionState
{
    /// <summary>Not started, or making its first connection.</summary>
    Connecting,

    /// <summary>Connected: commands go to the server.</summary>
    Connected,

    /// <summary>The connection dropped; reconnecting with backoff. Commands wait for the new connection.</summary>
    Reconnecting,

    /// <summary>Disposed, or reconnecting gave up: commands fail.</summary>
    Closed,
}
