using Microsoft.Extensions.Logging;

namespace Qmp.Net.Qga;

/// <summary>The guest agent client's log messages; ids in <see cref="QmpEventId"/>'s 5000s band.</summary>
internal static partial class QgaLog
{
    [LoggerMessage(EventId = QmpEventId.AgentSynchronised, Level = LogLevel.Debug, Message = "Guest agent at {Endpoint} synchronised (discarded {Discarded} stale messages)")]
    public static partial void Synchronised(ILogger logger, QmpEndpoint endpoint, int discarded);

    [LoggerMessage(EventId = QmpEventId.AgentStaleReply, Level = LogLevel.Debug, Message = "Guest agent at {Endpoint}: discarded a reply that belongs to no pending command")]
    public static partial void StaleReply(ILogger logger, QmpEndpoint endpoint);

    [LoggerMessage(EventId = QmpEventId.AgentTimeout, Level = LogLevel.Warning, Message = "Guest agent at {Endpoint} did not answer {Command} within {Timeout}")]
    public static partial void Timeout(ILogger logger, QmpEndpoint endpoint, string command, TimeSpan timeout);

    [LoggerMessage(EventId = QmpEventId.AgentClosed, Level = LogLevel.Information, Message = "Guest agent connection to {Endpoint} closed ({Reason})")]
    public static partial void Closed(ILogger logger, QmpEndpoint endpoint, string reason);
}
