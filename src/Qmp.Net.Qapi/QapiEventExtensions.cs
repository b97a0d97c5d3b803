namespace Qmp.Net.Qapi;

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
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="QmpConnectionClosedException">The connection ended first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TEvent> WaitForEventAsync<TEvent>(this QmpClient client, Func<TEvent, bool>? predicate = null, CancellationToken cancellationToken = default)
        where TEvent : QapiEvent, IQapiEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(client);
        var name = TEvent.EventName;
        var subscription = client.SubscribeEvents(e => string.Equals(e.Name, name, StringComparison.Ordinal));
        return WaitAsync(subscription, predicate, cancellationToken);
    }

    private static async Task<TEvent> WaitAsync<TEvent>(QmpEventSubscription subscription, Func<TEvent, bool>? predicate, CancellationToken cancellationToken)
        where TEvent : QapiEvent, IQapiEvent<TEvent>
    {
        using (subscription)
        {
            while (true)
            {
                QmpEvent e;
                try
                {
                    e = await subscription.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (System.Threading.Channels.ChannelClosedException ex)
                {
                    throw new QmpConnectionClosedException("The QMP connection ended before the event arrived.", ex);
                }

                if (e.Decode() is TEvent typed && (predicate is null || predicate(typed)))
                {
                    return typed;
                }
            }
        }
    }
}
