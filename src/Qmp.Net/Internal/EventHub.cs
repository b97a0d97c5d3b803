namespace Qmp.Net.Internal;

/// <summary>Where received events go: the subscriptions and the one-shot waiters, numbered per connection.</summary>
/// <remarks>
/// <para>Thread-safe with its own lock. Delivery happens on one thread (the read loop); the subscriptions are a
/// copy-on-write array read without the lock. User code — subscription filters and waiter predicates — runs outside the
/// lock: waiters are taken under it, matched outside it, and removed under it again.</para>
/// </remarks>
internal sealed class EventHub
{
    private readonly object _lock = new();
    private readonly List<EventWaiter> _waiters = [];
    private QmpEventSubscription[] _subscriptions = [];
    private int _waiterCount;
    private long _sequence;
    private bool _closed;

    /// <summary>Gets the number of waiters (for tests).</summary>
    public int WaiterCount => Volatile.Read(ref _waiterCount);

    /// <summary>Adds a subscription; after <see cref="Close"/> it is completed at once instead.</summary>
    public void Add(QmpEventSubscription subscription)
    {
        lock (_lock)
        {
            if (!_closed)
            {
                var current = _subscriptions;
                var next = new QmpEventSubscription[current.Length + 1];
                current.CopyTo(next, 0);
                next[^1] = subscription;
                Volatile.Write(ref _subscriptions, next);
                return;
            }
        }

        subscription.Complete();
    }

    /// <summary>Stops delivery to a subscription.</summary>
    public void Remove(QmpEventSubscription subscription)
    {
        lock (_lock)
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

    /// <summary>Waits for the next event with the name that the predicate accepts.</summary>
    /// <param name="name">The event name (ordinal).</param>
    /// <param name="match">The caller's predicate, or <see langword="null"/>.</param>
    /// <param name="closed">What the task fails with when the hub is already closed.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task<QmpEvent> WaitAsync(string name, Func<QmpEvent, bool>? match, Func<Exception> closed, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<QmpEvent>(cancellationToken);
        }

        var waiter = new EventWaiter(name, match);

        // Registered before the waiter is published, so that every way out finds the registration to dispose: a
        // long-lived token must not keep a finished connection reachable.
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (hub, w) = ((EventHub, EventWaiter))state!;
                    hub.RemoveWaiter(w);
                    w.TrySetCanceled(token);
                },
                (this, waiter));
        }

        lock (_lock)
        {
            if (!_closed)
            {
                if (!waiter.Task.IsCompleted)
                {
                    _waiters.Add(waiter);
                    Volatile.Write(ref _waiterCount, _waiters.Count);
                }

                return waiter.Task;
            }
        }

        waiter.Registration.Dispose();
        return Task.FromException<QmpEvent>(closed());
    }

    /// <summary>Gives the next event its number on the connection, from 1. Called by the delivering thread.</summary>
    public long NextSequence() => ++_sequence;

    /// <summary>Gets the activities of the commands in flight, which events are added to while they are traced.</summary>
    public CommandActivities Activities { get; } = new();

    /// <summary>Hands the event to every subscription, then to the waiters it completes. Called by one thread.</summary>
    public void Deliver(QmpEvent @event)
    {
        if (Telemetry.Events.Enabled)
        {
            Telemetry.Events.Add(1, new KeyValuePair<string, object?>("qmp.event.name", Telemetry.NameTag(@event.Name)));
        }

        Activities.AddEvent(@event.Name);

        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Deliver(@event);
        }

        if (Volatile.Read(ref _waiterCount) > 0)
        {
            DeliverToWaiters(@event);
        }
    }

    /// <summary>Ends delivery: every waiter fails with <paramref name="error"/> and every subscription completes. Idempotent.</summary>
    public void Close(Exception error)
    {
        EventWaiter[] waiters;
        QmpEventSubscription[] subscriptions;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            waiters = [.. _waiters];
            _waiters.Clear();
            Volatile.Write(ref _waiterCount, 0);
            subscriptions = Volatile.Read(ref _subscriptions);
        }

        foreach (var waiter in waiters)
        {
            waiter.Registration.Unregister();
            waiter.TrySetException(error);
        }

        foreach (var subscription in subscriptions)
        {
            subscription.Complete();
        }
    }

    private void RemoveWaiter(EventWaiter waiter)
    {
        lock (_lock)
        {
            _waiters.Remove(waiter);
            Volatile.Write(ref _waiterCount, _waiters.Count);
        }
    }

    private void DeliverToWaiters(QmpEvent @event)
    {
        List<EventWaiter>? candidates = null;
        lock (_lock)
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

        // The predicates are user code: they run outside the lock, before the next message is looked at.
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

        lock (_lock)
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
}
