using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net;

public sealed partial class QmpClient
{
    private readonly List<EventWaiter> _waiters = [];
    private QmpEventSubscription[] _subscriptions;
    private int _waiterCount;
    private long _eventSequence;

    /// <summary>Gets the client's own event subscription: it buffers every event from the moment of connection (up to
    /// <see cref="QmpClientOptions.EventBufferCapacity"/>, dropping the oldest beyond that) until it is read.</summary>
    public QmpEventSubscription Events { get; }

    /// <summary>Creates an extra, independent event subscription with its own buffer. It sees the events that arrive
    /// after the call.</summary>
    /// <param name="filter">Which events to keep; <see langword="null"/> keeps all. It runs on the client's read loop and must be quick.</param>
    /// <returns>The subscription; dispose it to stop delivery. After the connection has ended it is already complete.</returns>
    public QmpEventSubscription SubscribeEvents(Func<QmpEvent, bool>? filter = null)
    {
        var subscription = new QmpEventSubscription(this, filter, _options.EventBufferCapacity, _logger);
        lock (_sync)
        {
            if (_terminated)
            {
                subscription.Complete();
                return subscription;
            }

            var current = _subscriptions;
            var next = new QmpEventSubscription[current.Length + 1];
            current.CopyTo(next, 0);
            next[^1] = subscription;
            Volatile.Write(ref _subscriptions, next);
        }

        return subscription;
    }

    /// <summary>Waits for the next event with the given name (and, optionally, matching a condition) that arrives after the call.</summary>
    /// <param name="name">The event name, e.g. <c>SHUTDOWN</c> (compared ordinally).</param>
    /// <param name="match">An extra condition on the event; <see langword="null"/> accepts any event of that name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="QmpCommunicationException">The connection broke first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<QmpEvent> WaitForEventAsync(string name, Func<QmpEvent, bool>? match = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<QmpEvent>(cancellationToken);
        }

        var waiter = new EventWaiter(name, match);

        // Registered before the waiter is published, so that every path that removes it (a match, the end of the
        // connection) finds the registration to dispose: a long-lived token must not keep a finished client reachable.
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (client, w) = ((QmpClient, EventWaiter))state!;
                    client.RemoveWaiter(w);
                    w.TrySetCanceled(token);
                },
                (this, waiter));
        }

        lock (_sync)
        {
            if (_terminated)
            {
                waiter.Registration.Unregister();
                return Task.FromException<QmpEvent>(ExceptionFactory.Closed());
            }

            if (!waiter.Task.IsCompleted)
            {
                _waiters.Add(waiter);
                Volatile.Write(ref _waiterCount, _waiters.Count);
            }
        }

        return waiter.Task;
    }

    internal void RemoveSubscription(QmpEventSubscription subscription)
    {
        lock (_sync)
        {
            var current = _subscriptions;
            var index = Array.IndexOf(current, subscription);
            if (index < 0)
            {
                return;
            }

            var next = new QmpEventSubscription[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            Volatile.Write(ref _subscriptions, next);
        }
    }

    private void RemoveWaiter(EventWaiter waiter)
    {
        lock (_sync)
        {
            _waiters.Remove(waiter);
            Volatile.Write(ref _waiterCount, _waiters.Count);
        }
    }

    private void DeliverEvent(QmpMessage message, ReadOnlySpan<byte> json)
    {
        var name = message.EventName!;
        JsonElement data;
        if (message.Data.Equals(default(Range)))
        {
            data = QmpJson.EmptyObject;
        }
        else
        {
            var reader = new Utf8JsonReader(json[message.Data], new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
            reader.Read();
            data = JsonElement.ParseValue(ref reader);
        }

        var timestamp = QmpMessage.ReadTimestamp(message.Timestamp.Equals(default(Range)) ? default : json[message.Timestamp]);
        var @event = new QmpEvent(name, data, timestamp) { Sequence = ++_eventSequence };
        Log.EventReceived(_logger, name, @event.Sequence);

        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Deliver(@event);
        }

        if (Volatile.Read(ref _waiterCount) > 0)
        {
            DeliverToWaiters(@event);
        }
    }

    private void DeliverToWaiters(QmpEvent @event)
    {
        List<EventWaiter>? candidates = null;
        lock (_sync)
        {
            foreach (var waiter in _waiters)
            {
                if (string.Equals(waiter.Name, @event.Name, StringComparison.Ordinal))
                {
                    (candidates ??= []).Add(waiter);
                }
            }
        }

        if (candidates is null)
        {
            return;
        }

        // The predicates are user code: they run outside the lock (on the read loop, before the next message).
        List<(EventWaiter Waiter, Exception? Error)>? done = null;
        foreach (var waiter in candidates)
        {
            Exception? error = null;
            try
            {
                if (waiter.Match is not null && !waiter.Match(@event))
                {
                    continue;
                }
            }
            catch (Exception e)
            {
                error = e;
            }

            (done ??= []).Add((waiter, error));
        }

        if (done is null)
        {
            return;
        }

        lock (_sync)
        {
            foreach (var (waiter, _) in done)
            {
                _waiters.Remove(waiter);
            }

            Volatile.Write(ref _waiterCount, _waiters.Count);
        }

        foreach (var (waiter, error) in done)
        {
            waiter.Registration.Unregister();
            if (error is null)
            {
                waiter.TrySetResult(@event);
            }
            else
            {
                waiter.TrySetException(error);
            }
        }
    }

    private sealed class EventWaiter(string name, Func<QmpEvent, bool>? match)
        : TaskCompletionSource<QmpEvent>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public string Name { get; } = name;

        public Func<QmpEvent, bool>? Match { get; } = match;

        public CancellationTokenRegistration Registration { get; set; }
    }
}
