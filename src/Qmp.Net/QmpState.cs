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

/// <summary>Describes a change of <see cref="QmpClient.State"/>.</summary>
public sealed class QmpStateChangedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="QmpStateChangedEventArgs"/> class.</summary>
    /// <param name="oldState">The state before the change.</param>
    /// <param name="newState">The state after the change.</param>
    public QmpStateChangedEventArgs(QmpState oldState, QmpState newState)
    {
        OldState = oldState;
        NewState = newState;
    }

    /// <summary>Gets the state before the change.</summary>
    public QmpState OldState { get; }

    /// <summary>Gets the state after the change.</summary>
    public QmpState NewState { get; }

    /// <inheritdoc />
    public override string ToString() => $"{OldState} -> {NewState}";
}
