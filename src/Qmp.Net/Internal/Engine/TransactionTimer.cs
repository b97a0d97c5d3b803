namespace Qmp.Net.Internal;

/// <summary>The transaction timeout: runs while an answer is expected, restarts on every whole message, fires once.</summary>
/// <remarks>
/// <para>One owner of the one due time: the moment of the last start or restart (from <see cref="TimeProvider.GetTimestamp"/>)
/// plus the timeout. The underlying <see cref="ITimer"/> is only a wake-up: when it fires, the timer checks the clock, and
/// when the full period has not yet passed (a restart raced with the firing, or a real timer fired a few milliseconds early,
/// as System.Threading timers do) it arms itself again for what remains. So on a fake clock and a real one alike the
/// timeout is never lost and never early.</para>
/// <para>Thread-safe with its own lock; the expiry callback runs outside it, at most once per run.</para>
/// </remarks>
internal sealed class TransactionTimer : IDisposable
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Action _onExpired;
    private readonly ITimer? _timer;
    private bool _running;
    private bool _disposed;
    private long _startedAt;

    /// <param name="time">The clock.</param>
    /// <param name="timeout">The period; <see cref="Timeout.InfiniteTimeSpan"/> makes a timer that never runs.</param>
    /// <param name="onExpired">Called (outside the lock) when a run expires.</param>
    public TransactionTimer(TimeProvider time, TimeSpan timeout, Action onExpired)
    {
        _time = time;
        _timeout = timeout;
        _onExpired = onExpired;
        if (timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            _timer = time.CreateTimer(static s => ((TransactionTimer)s!).OnFired(), this, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Gets a value indicating whether the timer is running.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Gets the period.</summary>
    public TimeSpan Period => _timeout;

    /// <summary>Starts the timer unless it is running (sending more commands does not restart it).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_timer is null || _running || _disposed)
            {
                return;
            }

            _running = true;
            Arm(_timeout);
        }
    }

    /// <summary>Stops the timer: no answer is expected any more.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (!_running)
            {
                return;
            }

            _running = false;
            _timer!.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Starts or stops the timer, as an answer is or is not expected.</summary>
    public void Update(bool expectingAnswer)
    {
        if (expectingAnswer)
        {
            Start();
        }
        else
        {
            Stop();
        }
    }

    /// <summary>A whole message arrived: the period starts again, if the timer is running.</summary>
    public void Restart()
    {
        lock (_lock)
        {
            if (_running && !_disposed)
            {
                Arm(_timeout);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _running = false;
        }

        _timer?.Dispose();
    }

    private void Arm(TimeSpan dueIn)
    {
        _startedAt = _time.GetTimestamp();
        _timer!.Change(dueIn, System.Threading.Timeout.InfiniteTimeSpan);
    }

    private void OnFired()
    {
        lock (_lock)
        {
            if (!_running || _disposed)
            {
                return;
            }

            var remaining = _timeout - _time.GetElapsedTime(_startedAt);
            if (remaining > TimeSpan.Zero)
            {
                // Early (a real timer) or restarted meanwhile: wake up again when the period has really passed.
                _timer!.Change(remaining, System.Threading.Timeout.InfiniteTimeSpan);
                return;
            }

            _running = false;
        }

        _onExpired();
    }
}
