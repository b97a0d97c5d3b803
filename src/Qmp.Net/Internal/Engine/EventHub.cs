namespace Qmp.Net.Internal;

/// <summary>Where received events go: the subscriptions, the typed waits' name queues and the one-shot waiters, numbered
/// per connection.</summary>
/// <remarks>
/// <para>Thread-safe with its own lock. Delivery happens on one thread (the read loop); the subscriptions are a
/// copy-on-write array read without the lock. Waiters and name queues are kept by event name, so an event costs a look-up
/// of its name, not a pass over every wait (a wait for another event costs it nothing). User code — subscription filters
/// and waiter predicates — runs outside the lock: waiters are taken under it, matched outside it, and removed under it
/// again.</para>
/// <para>Bounded: at most <see cref="MaxWaits"/> waiters and name queues at once. Beyond that a new wait is refused with
/// an <see cref="InvalidOperationException"/> that names the usual cause (waits abandoned with <c>Task.WaitAsync</c>
/// instead of a timeout or a token), rather than growing without end.</para>
/// </remarks>
internal sealed class EventHub
{
    /// <summary>How many waiters and name queues may be registered at once.</summary>
    public const int MaxWaits = 65_536;

    private readonly object _lock = new();
    private readonly Dictionary<string, List<EventWaiter>> _waiters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<EventNameQueue>> _queues = new(StringComparer.Ordinal);
    private QmpEventSubscription[] _subscriptions = [];
    private int _waiterCount;
    private int _queueCount;
    private long _sequence;
    private bool _closed;

    /// <summary>Gets the number of waiters (for tests).</summary>
    public int WaiterCount => Volatile.Read(ref _waiterCount);

    /// <summary>Gets the live registrations (for tests): subscriptions to every event, name queues, waiters.</summary>
    public (int EveryEvent, int ByName, int Waiters) Registrations => (Volatile.Read(ref _subscriptions).Length, Volatile.Read(ref _queueCount), WaiterCount);

    /// <summary>Gets the activities of the commands in flight, which events are added to while they are traced.</summary>
    public CommandActivities Activities { get; } = new();

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

    /// <summary>Opens a queue of the events named <paramref name="name"/> that arrive from now on; after <see cref="Close"/>
    /// it is closed at once.</summary>
    /// <exception cref="InvalidOperationException"><see cref="MaxWaits"/> waits are registered already.</exception>
    public EventNameQueue OpenQueue(string name, int capacity, Func<Exception> closed)
    {
        var queue = new EventNameQueue(this, name, capacity);
        lock (_lock)
        {
            if (!_closed)
            {
                ThrowIfFullLocked();
                Add(_queues, name, queue);
                Volatile.Write(ref _queueCount, _queueCount + 1);
                return queue;
            }
        }

        queue.Close(closed());
        return queue;
    }

    /// <summary>Stops delivery to a name queue.</summary>
    public void Remove(EventNameQueue queue)
    {
        lock (_lock)
        {
            if (RemoveFrom(_queues, queue.Name, queue))
            {
                Volatile.Write(ref _queueCount, _queueCount - 1);
            }
        }
    }

    /// <summary>Waits for the next event with the name that the predicate accepts.</summary>
    public Task<QmpEvent> WaitAsync(string name, Func<QmpEvent, bool>? match, Func<Exception> closed, CancellationToken cancellationToken) =>
        WaitAsync(name, match, System.Threading.Timeout.InfiniteTimeSpan, TimeProvider.System, closed, cancellationToken);

    /// <summary>Waits for the next event with the name that the predicate accepts, for at most <paramref name="timeout"/>.</summary>
    /// <param name="name">The event name (ordinal).</param>
    /// <param name="match">The caller's predicate, or <see langword="null"/>.</param>
    /// <param name="timeout">How long to wait; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit. When it
    /// passes, the waiter leaves the hub and the task fails with <see cref="TimeoutException"/>.</param>
    /// <param name="time">The clock of the timeout.</param>
    /// <param name="closed">What the task fails with when the hub is already closed.</param>
    /// <param name="cancellationToken">Cancels the wait (the waiter leaves the hub).</param>
    /// <exception cref="InvalidOperationException"><see cref="MaxWaits"/> waits are registered already.</exception>
    public Task<QmpEvent> WaitAsync(string name, Func<QmpEvent, bool>? match, TimeSpan timeout, TimeProvider time, Func<Exception> closed, CancellationToken cancellationToken)
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
                    if (hub.TryRemove(w))
                    {
                        w.Timer?.Dispose();
                        w.TrySetCanceled(token);
                    }
                },
                (this, waiter));
        }

        if (timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            waiter.Timer = time.CreateTimer(
                static state =>
                {
                    var (hub, w, period) = ((EventHub, EventWaiter, TimeSpan))state!;
                    if (hub.TryRemove(w))
                    {
                        w.Release();
                        w.TrySetException(new TimeoutException($"No {w.Name} event arrived within {period.TotalMilliseconds:0.###} ms."));
                    }
                },
                (this, waiter, timeout),
                timeout,
                System.Threading.Timeout.InfiniteTimeSpan);
        }

        lock (_lock)
        {
            if (!_closed)
            {
                if (!waiter.Removed)
                {
                    if (_waiterCount + _queueCount >= MaxWaits)
                    {
                        waiter.Removed = true;
                        waiter.Release();
                        ThrowIfFullLocked();
                    }

                    Add(_waiters, name, waiter);
                    Volatile.Write(ref _waiterCount, _waiterCount + 1);
                }

                return waiter.Task;
            }

            waiter.Removed = true;
        }

        waiter.Release();
        return Task.FromException<QmpEvent>(closed());
    }

    /// <summary>Gives the next event its number on the connection, from 1. Called by the delivering thread.</summary>
    public long NextSequence() => ++_sequence;

    /// <summary>Hands the event to every subscription, to the name queues of its name, then to the waiters it completes.
    /// Called by one thread.</summary>
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

        if (Volatile.Read(ref _queueCount) > 0)
        {
            EventNameQueue[]? queues = null;
            lock (_lock)
            {
                if (_queues.TryGetValue(@event.Name, out var list))
                {
                    queues = [.. list];
                }
            }

            foreach (var queue in queues ?? [])
            {
                queue.Deliver(@event);
            }
        }

        if (Volatile.Read(ref _waiterCount) > 0)
        {
            DeliverToWaiters(@event);
        }
    }

    /// <summary>Ends delivery: every waiter fails with <paramref name="error"/>, every name queue closes with it, every
    /// subscription completes. Idempotent.</summary>
    public void Close(Exception error)
    {
        List<EventWaiter> waiters = [];
        List<EventNameQueue> queues = [];
        QmpEventSubscription[] subscriptions;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            foreach (var list in _waiters.Values)
            {
                foreach (var waiter in list)
                {
                    waiter.Removed = true;
                    waiters.Add(waiter);
                }
            }

            foreach (var list in _queues.Values)
            {
                queues.AddRange(list);
            }

            _waiters.Clear();
            _queues.Clear();
            Volatile.Write(ref _waiterCount, 0);
            Volatile.Write(ref _queueCount, 0);
            subscriptions = Volatile.Read(ref _subscriptions);
        }

        foreach (var waiter in waiters)
        {
            waiter.Release();
            waiter.TrySetException(error);
        }

        foreach (var queue in queues)
        {
            queue.Close(error);
        }

        foreach (var subscription in subscriptions)
        {
            subscription.Complete();
        }
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string name, T item)
    {
        if (!map.TryGetValue(name, out var list))
        {
            map[name] = list = [];
        }

        list.Add(item);
    }

    private static bool RemoveFrom<T>(Dictionary<string, List<T>> map, string name, T item)
        where T : class
    {
        if (!map.TryGetValue(name, out var list) || !list.Remove(item))
        {
            return false;
        }

        if (list.Count == 0)
        {
            map.Remove(name);
        }

        return true;
    }

    private void ThrowIfFullLocked()
    {
        if (_waiterCount + _queueCount >= MaxWaits)
        {
            throw new InvalidOperationException(
                $"{MaxWaits} event waits are pending on this QMP connection. Waits abandoned with Task.WaitAsync or Task.WhenAny stay "
                + "registered until their event arrives; give WaitForEventAsync a timeout or a CancellationToken instead.");
        }
    }

    /// <summary>Takes the waiter out of the hub, if nothing else has; only the caller that did so may complete it.</summary>
    private bool TryRemove(EventWaiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Removed)
            {
                return false;
            }

            waiter.Removed = true;
            if (RemoveFrom(_waiters, waiter.Name, waiter))
            {
                Volatile.Write(ref _waiterCount, _waiterCount - 1);
            }

            return true;
        }
    }

    private void DeliverToWaiters(QmpEvent @event)
    {
        EventWaiter[] candidates;
        lock (_lock)
        {
            if (!_waiters.TryGetValue(@event.Name, out var list))
            {
                return;
            }

            candidates = [.. list];
        }

        // The predicates are user code: they run outside the lock, before the next message is looked at.
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

            if (!TryRemove(waiter))
            {
                continue; // Cancelled, timed out or closed meanwhile.
            }

            waiter.Release();
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
