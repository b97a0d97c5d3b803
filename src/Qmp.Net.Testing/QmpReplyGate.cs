namespace Qmp.Net.Testing;

/// <summary>Holds a <see cref="QmpTestServer"/>'s in-band replies until the test lets them go, one by one or all at once.
/// Created by <see cref="QmpTestServer.HoldReplies"/>.</summary>
/// <remarks>The server keeps reading while replies are held, so commands still arrive in its log; in-band commands are
/// answered in order, so the first held reply holds every later one. Out-of-band (<c>exec-oob</c>) replies and events
/// are never held. Disposing the gate opens it.</remarks>
public sealed class QmpReplyGate : IDisposable
{
    private readonly object _sync = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private readonly Action<QmpReplyGate> _onOpened;
    private int _permits;
    private bool _open;

    internal QmpReplyGate(Action<QmpReplyGate> onOpened) => _onOpened = onOpened;

    /// <summary>Gets how many replies are waiting at the gate now (0 or 1, as in-band replies go out in order).</summary>
    public int HeldCount
    {
        get
        {
            lock (_sync)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>Lets the next <paramref name="count"/> replies through (now, or when they reach the gate).</summary>
    /// <param name="count">How many replies to let through.</param>
    public void Release(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_sync)
        {
            while (count > 0 && _waiters.TryDequeue(out var waiter))
            {
                waiter.TrySetResult();
                count--;
            }

            _permits += count;
        }
    }

    /// <summary>Opens the gate for good: every held reply goes out, and later replies are not held.</summary>
    public void Open()
    {
        lock (_sync)
        {
            if (_open)
            {
                return;
            }

            _open = true;
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.TrySetResult();
            }
        }

        _onOpened(this);
    }

    /// <summary>Opens the gate (<see cref="Open"/>).</summary>
    public void Dispose() => Open();

    internal Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (_open)
            {
                return Task.CompletedTask;
            }

            if (_permits > 0)
            {
                _permits--;
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            return waiter.Task.WaitAsync(cancellationToken);
        }
    }
}
