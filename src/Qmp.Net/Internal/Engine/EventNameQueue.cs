using System.Threading.Channels;

namespace Qmp.Net.Internal;

/// <summary>The events of one name, buffered for one reader until it disposes the queue: what a typed
/// <c>WaitForEventAsync&lt;TEvent&gt;</c> reads, decoding and matching on the caller's side.</summary>
/// <remarks>Cheaper than a <see cref="QmpEventSubscription"/>: the hub hands it only the events of its name (a dictionary
/// look-up, no filter run on every event). Bounded like a subscription: beyond the capacity the oldest events are dropped
/// (a typed wait that is not read is one that was abandoned).</remarks>
internal sealed class EventNameQueue : IDisposable
{
    private readonly EventHub _hub;
    private readonly Channel<QmpEvent> _channel;
    private Exception? _error;
    private int _disposed;

    public EventNameQueue(EventHub hub, string name, int capacity)
    {
        _hub = hub;
        Name = name;
        _channel = Channel.CreateBounded<QmpEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>Gets the event name (ordinal).</summary>
    public string Name { get; }

    /// <summary>Reads the next event of the name.</summary>
    /// <exception cref="QmpConnectionClosedException">The connection ended (its cause, when it broke, is the inner exception).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask<QmpEvent> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            var error = Volatile.Read(ref _error);
            throw error as QmpConnectionClosedException ?? new QmpConnectionClosedException("The QMP connection ended before the event arrived.", error ?? e);
        }
    }

    /// <summary>Stops delivery to the queue. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _hub.Remove(this);
            _channel.Writer.TryComplete();
        }
    }

    internal void Deliver(QmpEvent @event) => _channel.Writer.TryWrite(@event);

    internal void Close(Exception error)
    {
        Volatile.Write(ref _error, error);
        _channel.Writer.TryComplete();
    }
}
