namespace Qmp.Net.Internal;

/// <summary>One pending <see cref="QmpClient.WaitForEventAsync(string, Func{QmpEvent, bool}?, CancellationToken)"/>: the name,
/// the caller's predicate and the caller's task.</summary>
internal sealed class EventWaiter(string name, Func<QmpEvent, bool>? match)
    : TaskCompletionSource<QmpEvent>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public string Name { get; } = name;

    public Func<QmpEvent, bool>? Match { get; } = match;

    /// <summary>Gets or sets the cancellation registration; set before the waiter is published, disposed on every way out.</summary>
    public CancellationTokenRegistration Registration { get; set; }
}
