namespace Qmp.Net.Sessions;

/// <summary>How a <see cref="QmpSession"/> reconnects and what it does after a reconnect.</summary>
/// <remarks>Options are immutable; derive a changed copy with a <c>with</c> expression.</remarks>
public sealed record QmpSessionOptions
{
    /// <summary>Gets the default options.</summary>
    public static QmpSessionOptions Default { get; } = new();

    /// <summary>Gets the first delay between reconnect attempts; it doubles per failed attempt (with jitter) up to
    /// <see cref="MaxReconnectDelay"/>.</summary>
    /// <value>The default value is 100 milliseconds.</value>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets the longest delay between reconnect attempts.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how many attempts one reconnect (and the first connection) may make before the session gives up and
    /// closes.</summary>
    /// <value>The default value is <see cref="int.MaxValue"/>: it never gives up.</value>
    public int MaxReconnectAttempts { get; init; } = int.MaxValue;

    /// <summary>Gets a hook that runs after each reconnect, before commands resume on the new connection: re-read state,
    /// re-attach jobs. It gets the new client. An exception from it is reported on the event stream's next gap marker
    /// reason and does not end the session.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<QmpClient, CancellationToken, Task>? OnReconnected { get; init; }

    /// <summary>Gets how many items the event stream buffers for a slow reader; when full the oldest event is dropped
    /// (counted in <see cref="QmpSession.DroppedEventCount"/>).</summary>
    /// <value>The default value is 1024.</value>
    public int EventCapacity { get; init; } = 1024;

    /// <summary>Gets the clock for the backoff delays and the gap markers' times.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
