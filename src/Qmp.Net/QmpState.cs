namespace Qmp.Net;

/// <summary>The state of a <see cref="QmpClient"/>'s connection.</summary>
public enum QmpState
{
    /// <summary>No connection: not yet connected, or the connection has ended.</summary>
    Disconnected,

    /// <summary>The socket connection is being made.</summary>
    Connecting,

    /// <summary>Connected; waiting for the server's greeting.</summary>
    AwaitingGreeting,

    /// <summary>The greeting arrived; <c>qmp_capabilities</c> is being negotiated.</summary>
    Negotiating,

    /// <summary>Ready for commands, none pending.</summary>
    Idle,

    /// <summary>Ready for commands, at least one pending (queued, written or awaiting its response).</summary>
    Busy,

    /// <summary>A graceful disconnect is under way: new commands are refused, accepted ones finish.</summary>
    Closing,
}
