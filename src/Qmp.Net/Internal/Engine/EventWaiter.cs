namespace Qmp.Net.Internal;

/// <summary>One pending <see cref="QmpClient.WaitForEventAsync(string, Func{QmpEvent, bool}?, CancellationToken)"/>: the name,
/// the caller's predicate and the caller's task.</summary>
/// <remarks>Whatever ends the wait (its event, the end of the connection, the caller's token, its timeout) first takes it out
/// of the hub, under the hub's lock, and only then completes it: a caller that sees the task end sees the registration
/// gone.</remarks>
internal sealed class EventWaiter(string name, Func<QmpEvent, bool>? match)
    : TaskCompletionSource<QmpEvent>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public string Name { get; } = name;

    public Func<QmpEvent, bool>? Match { get; } = match;

    /// <summary>Gets or sets the cancellation registration; set before the waiter is published, disposed on every way out.</summary>
    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Gets or sets the timeout's timer; set before the waiter is published, disposed on every way out.</summary>
    public ITimer? Timer { get; set; }

    /// <summary>Gets or sets a value indicating whether the waiter has left the hub (set under the hub's lock).</summary>
    public bool Removed { get; set; }

    /// <summary>Releases the registration and the timer (never from inside the registration's own callback, where
    /// <see cref="CancellationTokenRegistration.Dispose"/> would wait for itself).</summary>
    public void Release()
    {
        Registration.Unregister();
        Timer?.Dispose();
    }
}
