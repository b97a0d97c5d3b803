using Microsoft.Extensions.Logging;

namespace Qmp.Net.Internal;

/// <summary>The library's log messages, source-generated; ids come from <see cref="QmpEventId"/> and never change once shipped.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = QmpEventId.Connecting, Level = LogLevel.Information, Message = "Connecting to QMP server at {Endpoint}")]
    public static partial void Connecting(ILogger logger, QmpEndpoint endpoint);

    [LoggerMessage(EventId = QmpEventId.GreetingReceived, Level = LogLevel.Information, Message = "QMP server at {Endpoint} is version {Version}, offering [{Capabilities}]")]
    public static partial void GreetingReceived(ILogger logger, QmpEndpoint endpoint, QmpVersion version, string capabilities);

    [LoggerMessage(EventId = QmpEventId.Negotiated, Level = LogLevel.Information, Message = "QMP connection to {Endpoint} ready; capabilities enabled: [{Capabilities}]")]
    public static partial void Negotiated(ILogger logger, QmpEndpoint endpoint, string capabilities);

    [LoggerMessage(EventId = QmpEventId.ConnectFailed, Level = LogLevel.Warning, Message = "Connecting to QMP server at {Endpoint} failed")]
    public static partial void ConnectFailed(ILogger logger, QmpEndpoint endpoint, Exception exception);

    [LoggerMessage(EventId = QmpEventId.Disconnected, Level = LogLevel.Information, Message = "QMP connection to {Endpoint} closed ({Reason})")]
    public static partial void Disconnected(ILogger logger, QmpEndpoint endpoint, string reason);

    [LoggerMessage(EventId = QmpEventId.ConnectionFailed, Level = LogLevel.Warning, Message = "QMP connection to {Endpoint} failed: {Error}")]
    public static partial void ConnectionFailed(ILogger logger, QmpEndpoint endpoint, string error, Exception exception);

    [LoggerMessage(EventId = QmpEventId.StateChangedHandlerFailed, Level = LogLevel.Warning, Message = "A StateChanged handler threw on the change to {State}")]
    public static partial void StateChangedHandlerFailed(ILogger logger, QmpState state, Exception exception);

    [LoggerMessage(EventId = QmpEventId.InternalError, Level = LogLevel.Error, Message = "An internal error in Qmp.Net ended the QMP connection to {Endpoint}; this is a bug in the library, not in the server")]
    public static partial void InternalError(ILogger logger, QmpEndpoint endpoint, Exception exception);

    [LoggerMessage(EventId = QmpEventId.CommandSent, Level = LogLevel.Debug, Message = "Sent QMP command {Command}")]
    public static partial void CommandSent(ILogger logger, string command);

    [LoggerMessage(EventId = QmpEventId.CommandSucceeded, Level = LogLevel.Debug, Message = "QMP command {Command} succeeded")]
    public static partial void CommandSucceeded(ILogger logger, string command);

    [LoggerMessage(EventId = QmpEventId.CommandFailed, Level = LogLevel.Debug, Message = "QMP command {Command} failed: {ErrorClass}: {Description}")]
    public static partial void CommandFailed(ILogger logger, string command, string errorClass, string description);

    [LoggerMessage(EventId = QmpEventId.ErrorWithoutId, Level = LogLevel.Warning, Message = "The server answered {Command} with an error that carries no id (it could not parse the input): {ErrorClass}: {Description}")]
    public static partial void ErrorWithoutId(ILogger logger, string command, string errorClass, string description);

    [LoggerMessage(EventId = QmpEventId.ResponseDropped, Level = LogLevel.Debug, Message = "Dropped the response to QMP command {Command}: its caller had cancelled")]
    public static partial void ResponseDropped(ILogger logger, string command);

    [LoggerMessage(EventId = QmpEventId.EventReceived, Level = LogLevel.Debug, Message = "QMP event {Event} (#{Sequence})")]
    public static partial void EventReceived(ILogger logger, string @event, long sequence);

    [LoggerMessage(EventId = QmpEventId.EventsDropped, Level = LogLevel.Warning, Message = "An event subscription is full ({Capacity} events): dropping the oldest events; {Dropped} dropped so far. Read events faster or raise EventBufferCapacity")]
    public static partial void EventsDropped(ILogger logger, int capacity, long dropped);

    [LoggerMessage(EventId = QmpEventId.EventFilterFailed, Level = LogLevel.Warning, Message = "An event filter threw on event {Event}; the event was not delivered to that subscription")]
    public static partial void EventFilterFailed(ILogger logger, string @event, Exception exception);

    [LoggerMessage(EventId = QmpEventId.WireSent, Level = LogLevel.Trace, Message = "QMP >> {Json}")]
    public static partial void WireSent(ILogger logger, string json);

    [LoggerMessage(EventId = QmpEventId.WireReceived, Level = LogLevel.Trace, Message = "QMP << {Json}")]
    public static partial void WireReceived(ILogger logger, string json);
}
