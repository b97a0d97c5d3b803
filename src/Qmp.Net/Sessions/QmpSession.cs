using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Polly;
using Polly.Retry;

namespace Qmp.Net.Sessions;

/// <summary>A QMP connection for long-running agents that survives a dropped monitor: it reconnects with backoff, never
/// sends a command twice, and marks every reconnect in its event stream.</summary>
/// <remarks>
/// <para>Built on <see cref="QmpClient"/>'s public API. The connection comes from a factory, so the session works with a
/// monitor QEMU listens on (<see cref="ForEndpoint"/>: QEMU restarted by its supervisor, a TLS peer that reset) and with
/// a <see cref="QmpListener"/> QEMU connects to (<see cref="ForListener"/>, with QEMU's <c>reconnect</c>/<c>reconnect-ms</c>).</para>
/// <para>A command that was handed to a connection that then dropped fails with
/// <see cref="QmpCommandOutcomeUnknownException"/>: it may or may not have taken effect, and it is never replayed. A command
/// issued while the session is reconnecting waits for the new connection (bounded by its cancellation token), since it
/// has not been sent anywhere.</para>
/// <para>After each reconnect the event stream (<see cref="ReadEventsAsync"/>) carries a <see cref="QmpSessionGap"/> before
/// the new connection's first event, then <see cref="QmpSessionOptions.OnReconnected"/> runs, then waiting commands
/// resume. Metrics (meter <c>Qmp.Net</c>): <c>qmp.session.reconnects</c> and <c>qmp.session.downtime</c> (seconds).</para>
/// </remarks>
public sealed class QmpSession : IAsyncDisposable
{
    private static readonly Meter s_meter = new(QmpTelemetry.Name);
    private static readonly Counter<long> s_reconnects = s_meter.CreateCounter<long>("qmp.session.reconnects", description: "Reconnects of QMP sessions after a dropped connection.");
    private static readonly Histogram<double> s_downtime = s_meter.CreateHistogram<double>("qmp.session.downtime", "s", "How long a QMP session was without a connection.");

    private readonly Func<CancellationToken, Task<QmpClient>> _connect;
    private readonly QmpSessionOptions _options;
    private readonly ResiliencePipeline _reconnect;
    private readonly Channel<QmpSessionEvent> _events;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _sync = new();
    private TaskCompletionSource<QmpClient> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private QmpSessionState _state;
    private Task? _run;
    private long _reconnectCount;
    private long _dropped;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="QmpSession"/> class.</summary>
    /// <param name="connect">Makes a new, negotiated connection (called for the first connection and each reconnect).</param>
    /// <param name="options">Reconnect settings; <see langword="null"/> means <see cref="QmpSessionOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="connect"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public QmpSession(Func<CancellationToken, Task<QmpClient>> connect, QmpSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connect);
        _connect = connect;
        _options = options ?? QmpSessionOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ReconnectDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxReconnectDelay, _options.ReconnectDelay, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxReconnectAttempts, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EventCapacity, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(_options.TimeProvider, nameof(options));
        _events = Channel.CreateBounded<QmpSessionEvent>(
            new BoundedChannelOptions(_options.EventCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            _ => Interlocked.Increment(ref _dropped));
        _reconnect = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<QmpException>().Handle<IOException>(),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.ReconnectDelay,
                MaxDelay = _options.MaxReconnectDelay,
                MaxRetryAttempts = _options.MaxReconnectAttempts == int.MaxValue ? int.MaxValue : _options.MaxReconnectAttempts - 1,
            })
            .Build();
    }

    /// <summary>Creates a session that connects to a monitor QEMU listens on.</summary>
    /// <param name="endpoint">Where QEMU listens.</param>
    /// <param name="clientOptions">Options of each connection's <see cref="QmpClient"/>.</param>
    /// <param name="options">Reconnect settings.</param>
    /// <returns>The session, not yet started.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    public static QmpSession ForEndpoint(QmpEndpoint endpoint, QmpClientOptions? clientOptions = null, QmpSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new QmpSession(cancellationToken => QmpClient.ConnectAsync(endpoint, clientOptions, cancellationToken), options);
    }

    /// <summary>Creates a session whose connections are the ones QEMU makes to <paramref name="listener"/> (a monitor with
    /// <c>reconnect</c>/<c>reconnect-ms</c> connects again after a drop). The listener stays the caller's.</summary>
    /// <param name="listener">The listener QEMU connects to.</param>
    /// <param name="options">Reconnect settings.</param>
    /// <returns>The session, not yet started.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="listener"/> is null.</exception>
    public static QmpSession ForListener(QmpListener listener, QmpSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return new QmpSession(listener.AcceptAsync, options);
    }

    /// <summary>Gets where the session stands.</summary>
    public QmpSessionState State
    {
        get
        {
            lock (_sync)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets how many times the session has reconnected.</summary>
    public long ReconnectCount => Interlocked.Read(ref _reconnectCount);

    /// <summary>Gets how many events the event stream dropped because its reader was too slow.</summary>
    public long DroppedEventCount => Interlocked.Read(ref _dropped);

    /// <summary>Gets the current connection, or <see langword="null"/> while there is none. Prefer
    /// <see cref="ExecuteAsync(string, object?, CancellationToken)"/>, which waits for a connection and never replays.</summary>
    public QmpClient? Client
    {
        get
        {
            lock (_sync)
            {
                return _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;
            }
        }
    }

    /// <summary>Makes the first connection (retrying with the reconnect backoff) and starts watching it.</summary>
    /// <param name="cancellationToken">Cancels the first connection.</param>
    /// <returns>A task that completes once connected.</returns>
    /// <exception cref="InvalidOperationException">The session was already started.</exception>
    /// <exception cref="ObjectDisposedException">The session is disposed.</exception>
    /// <exception cref="QmpException">Connecting failed <see cref="QmpSessionOptions.MaxReconnectAttempts"/> times.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_sync)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException("The session is already started.");
            }

            _run = Task.CompletedTask;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        QmpClient first;
        try
        {
            first = await _reconnect.ExecuteAsync(async token => await _connect(token).ConfigureAwait(false), linked.Token).ConfigureAwait(false);
        }
        catch
        {
            Close(null);
            throw;
        }

        lock (_sync)
        {
            _state = QmpSessionState.Connected;
            _ready.TrySetResult(first);
            _run = RunAsync(first);
        }
    }

    /// <summary>Runs a command on the current connection, waiting for one while the session reconnects.</summary>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">Its arguments, as for <see cref="QmpClient.ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels waiting for a connection or for the reply.</param>
    /// <returns>The command's return value.</returns>
    /// <exception cref="QmpCommandOutcomeUnknownException">The connection dropped while the command was in flight: it may
    /// or may not have taken effect. It is not sent again.</exception>
    /// <exception cref="QmpErrorException">QEMU answered with an error.</exception>
    /// <exception cref="ObjectDisposedException">The session is closed (disposed, or it gave up reconnecting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<JsonElement> ExecuteAsync(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        while (true)
        {
            Task<QmpClient> ready;
            lock (_sync)
            {
                ready = _ready.Task;
            }

            var client = await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (client.Completion.IsCompleted)
            {
                // Known dead before anything was sent: the run loop is about to replace it; wait for the next connection.
                await Task.Yield();
                continue;
            }

            try
            {
                return await client.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is QmpConnectionClosedException or QmpCommunicationException or ObjectDisposedException)
            {
                throw new QmpCommandOutcomeUnknownException(command, e);
            }
        }
    }

    /// <summary>Reads the session's events across reconnects, with a <see cref="QmpSessionGap"/> item where each reconnect
    /// left a hole. One reader at a time; the stream ends when the session closes.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The events and gap markers, in order.</returns>
    public IAsyncEnumerable<QmpSessionEvent> ReadEventsAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Closes the session: stops reconnecting, closes the connection, fails waiting commands with
    /// <see cref="ObjectDisposedException"/> and ends the event stream. Idempotent; never throws.</summary>
    /// <returns>A task that completes when the session is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        QmpClient? client;
        Task? run;
        lock (_sync)
        {
            client = _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;
            run = _run;
        }

        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        if (run is not null)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // RunAsync ends through Close; nothing is left to report.
            }
        }

        Close(null);
    }

    private async Task RunAsync(QmpClient client)
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            var pump = PumpEventsAsync(client);
            string reason;
            try
            {
                await client.Completion.WaitAsync(stopping).ConfigureAwait(false);
                reason = "the server closed the connection";
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                reason = e.Message;
            }

            var disconnectedAt = _options.TimeProvider.GetUtcNow();
            var started = _options.TimeProvider.GetTimestamp();
            lock (_sync)
            {
                _state = QmpSessionState.Reconnecting;
                _ready = new TaskCompletionSource<QmpClient>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            await pump.ConfigureAwait(false);
            await client.DisposeAsync().ConfigureAwait(false);
            try
            {
                client = await _reconnect.ExecuteAsync(async token => await _connect(token).ConfigureAwait(false), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Close(new QmpConnectionClosedException($"The QMP session gave up reconnecting after {_options.MaxReconnectAttempts} attempt(s): {e.Message}", e));
                return;
            }

            var duration = _options.TimeProvider.GetElapsedTime(started);
            Interlocked.Increment(ref _reconnectCount);
            s_reconnects.Add(1);
            s_downtime.Record(duration.TotalSeconds);
            var gap = new QmpSessionGap(reason, disconnectedAt, duration);
            if (_options.OnReconnected is { } hook)
            {
                try
                {
                    await hook(client, stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    gap = gap with { Reason = $"{reason} (the OnReconnected hook then failed: {e.Message})" };
                }
            }

            _events.Writer.TryWrite(new QmpSessionEvent(null, gap));
            lock (_sync)
            {
                if (stopping.IsCancellationRequested)
                {
                    break;
                }

                _state = QmpSessionState.Connected;
                _ready.TrySetResult(client);
            }
        }

        await client.DisposeAsync().ConfigureAwait(false);
    }

    private async Task PumpEventsAsync(QmpClient client)
    {
        try
        {
            await foreach (var qmpEvent in client.Events.ConfigureAwait(false))
            {
                _events.Writer.TryWrite(new QmpSessionEvent(qmpEvent, null));
            }
        }
        catch (Exception e) when (e is QmpException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended; the run loop reports why.
        }
    }

    private void Close(Exception? error)
    {
        lock (_sync)
        {
            _state = QmpSessionState.Closed;
            if (!_ready.TrySetException(error ?? new ObjectDisposedException(nameof(QmpSession))))
            {
                _ready = new TaskCompletionSource<QmpClient>(TaskCreationOptions.RunContinuationsAsynchronously);
                _ready.SetException(error ?? new ObjectDisposedException(nameof(QmpSession)));
            }

            _ready.Task.Exception?.Handle(_ => true);
        }

        _events.Writer.TryComplete();
    }
}
