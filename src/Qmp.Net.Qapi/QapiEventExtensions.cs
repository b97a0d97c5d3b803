namespace Qmp.Net.Qapi;

// RS0026 (one overload with optional parameters) would forbid the shape every async method of the library has: the
// predicate and the token optional, last (Qmp.Net.csproj suppresses it for the same reason).
#pragma warning disable RS0026

/// <summary>Typed events: decoding a <see cref="QmpEvent"/> and waiting for an event of a generated type.</summary>
public static class QapiEventExtensions
{
    /// <summary>Decodes an event into its generated record; never throws.</summary>
    /// <param name="e">The event.</param>
    /// <returns>The typed event (e.g. <see cref="ShutdownEvent"/>), or an <see cref="UnknownQapiEvent"/> for an event this
    /// library does not know or whose data did not decode.</returns>
    public static QapiEvent Decode(this QmpEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return QapiEventDecoder.Decode(e);
    }

    /// <summary>Waits for the next event of type <typeparamref name="TEvent"/> (and, optionally, matching a condition) that
    /// arrives after the call.</summary>
    /// <typeparam name="TEvent">The event record, e.g. <see cref="BlockJobReadyEvent"/>.</typeparam>
    /// <param name="client">The client.</param>
    /// <param name="predicate">An extra condition; <see langword="null"/> accepts any event of that type. It runs on the
    /// caller's side, never on the client's read loop.</param>
    /// <param name="cancellationToken">Cancels the wait; the wait then leaves the client at once.</param>
    /// <returns>The event.</returns>
    /// <remarks>The wait registers for the events of <typeparamref name="TEvent"/>'s name only (an unrelated event costs it
    /// nothing) and buffers them, up to <see cref="QmpClientOptions.EventBufferCapacity"/>, until it has decoded and matched
    /// them. It stays registered until it returns, the connection ends, or <paramref name="cancellationToken"/> is cancelled.
    /// A wait abandoned with <c>.WaitAsync(timeout)</c> or <c>Task.WhenAny</c> on the returned task stays registered — and
    /// keeps buffering events of its name — until one of those happens; the client refuses more than 65,536 pending waits.
    /// To bound a wait in time, use <see cref="WaitForEventAsync{TEvent}(QmpClient, TimeSpan, Func{TEvent, bool}?, CancellationToken)"/>
    /// or a token with a timeout: both unregister the wait when it ends.</remarks>
    /// <exception cref="InvalidOperationException">65,536 waits are pending already (abandoned waits, see the remarks).</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TEvent> WaitForEventAsync<TEvent>(this QmpClient client, Func<TEvent, bool>? predicate = null, CancellationToken cancellationToken = default)
        where TEvent : QapiEvent, IQapiEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(client);
        return WaitAsync(client.OpenEventQueue(TEvent.EventName), predicate, Timeout.InfiniteTimeSpan, client.TimeProvider, cancellationToken);
    }

    /// <summary>Waits at most <paramref name="timeout"/> for the next event of type <typeparamref name="TEvent"/> (and,
    /// optionally, matching a condition) that arrives after the call; when the time is up the wait leaves the client and
    /// fails with <see cref="TimeoutException"/>.</summary>
    /// <typeparam name="TEvent">The event record, e.g. <see cref="DeviceDeletedEvent"/>.</typeparam>
    /// <param name="client">The client.</param>
    /// <param name="timeout">How long to wait, on <see cref="QmpClientOptions.TimeProvider"/>; positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="predicate">An extra condition; <see langword="null"/> accepts any event of that type. It runs on the
    /// caller's side, never on the client's read loop.</param>
    /// <param name="cancellationToken">Cancels the wait; the wait then leaves the client at once.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is neither positive nor infinite.</exception>
    /// <exception cref="InvalidOperationException">65,536 waits are pending already.</exception>
    /// <exception cref="TimeoutException">No such event arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TEvent> WaitForEventAsync<TEvent>(this QmpClient client, TimeSpan timeout, Func<TEvent, bool>? predicate = null, CancellationToken cancellationToken = default)
        where TEvent : QapiEvent, IQapiEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(client);
        QmpClient.ValidateWaitTimeout(timeout);
        return WaitAsync(client.OpenEventQueue(TEvent.EventName), predicate, timeout, client.TimeProvider, cancellationToken);
    }

    private static async Task<TEvent> WaitAsync<TEvent>(Qmp.Net.Internal.EventNameQueue queue, Func<TEvent, bool>? predicate, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        where TEvent : QapiEvent, IQapiEvent<TEvent>
    {
        using (queue)
        {
            using var timeoutCts = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, time);
            using var linked = timeoutCts is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
            var token = linked?.Token ?? cancellationToken;
            while (true)
            {
                QmpEvent e;
                try
                {
                    e = await queue.ReadAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeoutCts?.IsCancellationRequested == true)
                {
                    throw new TimeoutException($"No {TEvent.EventName} event arrived within {timeout.TotalMilliseconds:0.###} ms.", ex);
                }
                catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested && linked is not null)
                {
                    throw new OperationCanceledException(ex.Message, ex, cancellationToken);
                }

                if (e.Decode() is TEvent typed && (predicate is null || predicate(typed)))
                {
                    return typed;
                }
            }
        }
    }
}
