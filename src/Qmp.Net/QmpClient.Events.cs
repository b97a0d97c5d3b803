using Qmp.Net.Internal;

namespace Qmp.Net;

public sealed partial class QmpClient
{
    /// <summary>Gets the client's own event subscription: it buffers every event from the moment of connection (up to
    /// <see cref="QmpClientOptions.EventBufferCapacity"/>, dropping the oldest beyond that) until it is read.</summary>
    public QmpEventSubscription Events { get; }

    /// <summary>Creates an extra, independent event subscription with its own buffer. It sees the events that arrive
    /// after the call.</summary>
    /// <param name="filter">Which events to keep; <see langword="null"/> keeps all. It runs on the client's read loop (outside
    /// the client's locks) and must be quick.</param>
    /// <returns>The subscription; dispose it to stop delivery. After the connection has ended it is already complete.</returns>
    public QmpEventSubscription SubscribeEvents(Func<QmpEvent, bool>? filter = null)
    {
        var subscription = new QmpEventSubscription(_protocol.Events, filter, _options.EventBufferCapacity, _logger);
        _protocol.Events.Add(subscription);
        return subscription;
    }

    /// <summary>Waits for the next event with the given name (and, optionally, matching a condition) that arrives after the call.</summary>
    /// <param name="name">The event name, e.g. <c>SHUTDOWN</c> (compared ordinally).</param>
    /// <param name="match">An extra condition on the event; <see langword="null"/> accepts any event of that name. It runs on
    /// the read loop, outside the client's locks, before the next message is handled; it may call the client.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="QmpCommunicationException">The connection broke first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<QmpEvent> WaitForEventAsync(string name, Func<QmpEvent, bool>? match = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _protocol.Events.WaitAsync(name, match, static () => ExceptionFactory.Closed(), cancellationToken);
    }
}
