namespace Qmp.Net;

/// <summary>The event ids of Qmp.Net's log messages, in bands: 1000s connection, 2000s commands, 3000s events, 4000s wire,
/// 5000s guest agent; the typed QAPI check of Qmp.Net.Qapi logs in the 6000s (its <c>QapiEventId</c>).
/// An id is never reused or renumbered once shipped, so log filters and alerts can rely on it.</summary>
public static class QmpEventId
{
    /// <summary>Information: a connection attempt starts.</summary>
    public const int Connecting = 1000;

    /// <summary>Information: the server's greeting arrived (version, capabilities).</summary>
    public const int GreetingReceived = 1001;

    /// <summary>Information: capabilities were negotiated; the client is ready for commands.</summary>
    public const int Negotiated = 1002;

    /// <summary>Warning: connecting failed (refused, no socket, timed out, negotiation error).</summary>
    public const int ConnectFailed = 1003;

    /// <summary>Information: the connection ended gracefully (disconnect, abort, server close).</summary>
    public const int Disconnected = 1004;

    /// <summary>Warning: the connection broke (read or write failure, timeout, protocol violation).</summary>
    public const int ConnectionFailed = 1005;

    /// <summary>Warning: a <see cref="QmpClient.StateChanged"/> handler threw.</summary>
    public const int StateChangedHandlerFailed = 1006;

    /// <summary>Error: a bug in Qmp.Net ended the connection (not the server's fault); please report it.</summary>
    public const int InternalError = 1007;

    /// <summary>Debug: a command was written.</summary>
    public const int CommandSent = 2000;

    /// <summary>Debug: a command succeeded.</summary>
    public const int CommandSucceeded = 2001;

    /// <summary>Debug: a command got an error reply.</summary>
    public const int CommandFailed = 2002;

    /// <summary>Warning: an error reply without an id arrived while ids are sent (the server could not parse its input).</summary>
    public const int ErrorWithoutId = 2003;

    /// <summary>Debug: a response arrived for a command whose caller had cancelled, and was dropped.</summary>
    public const int ResponseDropped = 2004;

    /// <summary>Debug: an event arrived.</summary>
    public const int EventReceived = 3000;

    /// <summary>Warning: a subscription's buffer is full and events are being dropped (once per burst).</summary>
    public const int EventsDropped = 3001;

    /// <summary>Warning: a subscription's filter threw.</summary>
    public const int EventFilterFailed = 3002;

    /// <summary>Trace: the text written to the server, secrets masked.</summary>
    public const int WireSent = 4000;

    /// <summary>Trace: the text received from the server, secrets masked.</summary>
    public const int WireReceived = 4001;

    /// <summary>Debug: a <see cref="Qga.QgaClient"/> resynchronised with the guest agent (<c>guest-sync-delimited</c>).</summary>
    public const int AgentSynchronised = 5000;

    /// <summary>Debug: a guest agent reply that belongs to no pending command (a late reply after a timeout) was discarded.</summary>
    public const int AgentStaleReply = 5001;

    /// <summary>Warning: the guest agent did not answer a command in time.</summary>
    public const int AgentTimeout = 5002;

    /// <summary>Information: a guest agent connection ended.</summary>
    public const int AgentClosed = 5003;
}
