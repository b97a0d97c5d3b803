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
        return _connection.Protocol.Subscribe(filter, _options.EventBufferCapacity, _logger);
    }

    /// <summary>Waits for the next event with the given name (and, optionally, matching a condition) that arrives after the call.</summary>
    /// <param name="name">The event name, e.g. <c>SHUTDOWN</c> (compared ordinally).</param>
    /// <param name="match">An extra condition on the event; <see langword="null"/> accepts any event of that name. It runs on
    /// the read loop, outside the client's locks, before the next message is handled; it may call the client.</param>
    /// <param name="cancellationToken">Cancels the wait; the wait then leaves the client at once.</param>
    /// <returns>The event.</returns>
    /// <remarks>A wait stays registered in the client until its event arrives, the connection ends, or
    /// <paramref name="cancellationToken"/> is cancelled. A wait that is abandoned instead — <c>.WaitAsync(timeout)</c> or
    /// <c>Task.WhenAny</c> on the returned task — stays registered (a few hundred bytes, and a look-up of each event of
    /// that name) until one of those happens; the client refuses more than 65,536 pending waits. To bound a wait in time,
    /// use <see cref="WaitForEventAsync(string, TimeSpan, Func{QmpEvent, bool}?, CancellationToken)"/> or a token with a
    /// timeout: both unregister the wait when it ends.</remarks>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">65,536 waits are pending already (abandoned waits, see the remarks).</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="QmpCommunicationException">The connection broke first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<QmpEvent> WaitForEventAsync(string name, Func<QmpEvent, bool>? match = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _connection.Protocol.WaitForEventAsync(name, match, Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken);
    }

    /// <summary>Waits at most <paramref name="timeout"/> for the next event with the given name (and, optionally, matching a
    /// condition) that arrives after the call; when the time is up the wait leaves the client and fails with
    /// <see cref="TimeoutException"/>.</summary>
    /// <param name="name">The event name, e.g. <c>DEVICE_DELETED</c> (compared ordinally).</param>
    /// <param name="timeout">How long to wait, on <see cref="QmpClientOptions.TimeProvider"/>; positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="match">An extra condition on the event, as for
    /// <see cref="WaitForEventAsync(string, Func{QmpEvent, bool}?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; the wait then leaves the client at once.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is neither positive nor infinite.</exception>
    /// <exception cref="InvalidOperationException">65,536 waits are pending already.</exception>
    /// <exception cref="TimeoutException">No such event arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="QmpCommunicationException">The connection broke first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<QmpEvent> WaitForEventAsync(string name, TimeSpan timeout, Func<QmpEvent, bool>? match = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ValidateWaitTimeout(timeout);
        return _connection.Protocol.WaitForEventAsync(name, match, timeout, _options.TimeProvider, cancellationToken);
    }

    /// <summary>Gets the clock of the client's timeouts (for the typed waits of Qmp.Net.Qapi).</summary>
    internal TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>Gets the event hub's live registrations (for tests): the subscriptions whose filter sees every event,
    /// the typed waits' name queues, and the one-shot waiters.</summary>
    internal (int EveryEvent, int ByName, int Waiters) EventRegistrations => _connection.Protocol.EventRegistrations;

    /// <summary>Throws when a wait's timeout is neither positive nor infinite.</summary>
    /// <param name="timeout">The timeout.</param>
    internal static void ValidateWaitTimeout(TimeSpan timeout)
    {
        if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive or Timeout.InfiniteTimeSpan.");
        }
    }

    /// <summary>Opens a queue of the events with the given name that arrive from now on, for a typed wait that decodes and
    /// matches them on the caller's side (Qmp.Net.Qapi); dispose it to unregister.</summary>
    /// <exception cref="InvalidOperationException">65,536 waits are pending already.</exception>
    internal EventNameQueue OpenEventQueue(string name) =>
        _connection.Protocol.OpenEventQueue(name, _options.EventBufferCapacity);
}
