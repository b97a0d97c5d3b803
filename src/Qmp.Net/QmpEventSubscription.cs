using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Qmp.Net.Internal;

namespace Qmp.Net;

/// <summary>A buffered stream of the events a <see cref="QmpClient"/> receives, enumerated with <c>await foreach</c>.</summary>
/// <remarks>
/// <para>Each subscription has its own bounded buffer of <see cref="QmpClientOptions.EventBufferCapacity"/> events. The client
/// never waits for a slow reader: when the buffer is full the oldest event is dropped and counted in
/// <see cref="DroppedCount"/> (and logged once per burst). <see cref="QmpEvent.Sequence"/> shows where the gap is.</para>
/// <para>When the connection ends, enumeration finishes after the buffered events have been yielded. Disposing the
/// subscription stops delivery to it and ends its enumeration. Several enumerations of one subscription share its buffer:
/// each event goes to one of them.</para>
/// </remarks>
public sealed class QmpEventSubscription : IAsyncEnumerable<QmpEvent>, IDisposable
{
    private readonly EventHub? _hub;
    private readonly Func<QmpEvent, bool>? _filter;
    private readonly Channel<QmpEvent> _channel;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private long _dropped;
    private int _inDropBurst;
    private int _disposed;

    internal QmpEventSubscription(EventHub? hub, Func<QmpEvent, bool>? filter, int capacity, ILogger logger)
    {
        _hub = hub;
        _filter = filter;
        _capacity = capacity;
        _logger = logger;
        _channel = Channel.CreateBounded<QmpEvent>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = false,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            },
            OnDropped);
    }

    /// <summary>Gets how many events were dropped because this subscription's buffer was full.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Gets how many events are buffered, not yet read.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Gets a task that completes when no more events will come: the connection ended or the subscription was
    /// disposed, and every buffered event has been read.</summary>
    public Task Completion => _channel.Reader.Completion;

    /// <summary>Reads the next event, waiting for one.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The next event.</returns>
    /// <exception cref="ChannelClosedException">No more events will come (see <see cref="Completion"/>).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask<QmpEvent> ReadAsync(CancellationToken cancellationToken = default)
    {
        var item = await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        OnRead();
        return item;
    }

    /// <summary>Takes the next buffered event without waiting.</summary>
    /// <param name="event">The event, when one was buffered.</param>
    /// <returns><see langword="true"/> when an event was taken.</returns>
    public bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out QmpEvent @event)
    {
        if (!_channel.Reader.TryRead(out @event))
        {
            return false;
        }

        OnRead();
        return true;
    }

    /// <summary>Returns an enumerator over the events; it ends when the connection ends or the subscription is disposed.</summary>
    /// <param name="cancellationToken">Cancels the enumeration (the enumerator then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The enumerator.</returns>
    public IAsyncEnumerator<QmpEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default) => ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

    /// <summary>Stops delivery to this subscription and ends its enumeration (after what is buffered). Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _hub?.Remove(this);
            _channel.Writer.TryComplete();
        }
    }

    internal void Deliver(QmpEvent @event)
    {
        if (_filter is not null)
        {
            bool wanted;
            try
            {
                wanted = _filter(@event);
            }
            catch (Exception e)
            {
                Log.EventFilterFailed(_logger, @event.Name, e);
                return;
            }

            if (!wanted)
            {
                return;
            }
        }

        _channel.Writer.TryWrite(@event);
    }

    internal void Complete() => _channel.Writer.TryComplete();

    private void OnDropped(QmpEvent dropped)
    {
        if (Telemetry.EventsDropped.Enabled)
        {
            Telemetry.EventsDropped.Add(1, new KeyValuePair<string, object?>("qmp.event.name", Telemetry.NameTag(dropped.Name)));
        }

        var total = Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _inDropBurst, 1) == 0)
        {
            Log.EventsDropped(_logger, _capacity, total);
        }
    }

    private void OnRead()
    {
        if (_channel.Reader.Count == 0)
        {
            // The reader has caught up: the next drop starts a new burst and is logged again.
            Volatile.Write(ref _inDropBurst, 0);
        }
    }

    private async IAsyncEnumerable<QmpEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                OnRead();
                yield return item;
            }
        }
    }
}
