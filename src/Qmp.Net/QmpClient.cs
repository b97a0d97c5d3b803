using Qmp.Net.Internal.Client;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qmp.Net.Internal;

namespace Qmp.Net;

/// <summary>An asynchronous client for one connection to a QMP server (QEMU, qemu-storage-daemon, or anything that speaks QMP).</summary>
/// <remarks>
/// <para>A client makes one connection: <see cref="ConnectAsync(CancellationToken)"/> connects, reads the greeting and
/// negotiates capabilities; commands then run through <see cref="ExecuteAsync(string, object?, CancellationToken)"/>, which is
/// safe to call from many threads at once (order is the order of the calls); events arrive through <see cref="Events"/>,
/// <see cref="SubscribeEvents(Func{QmpEvent, bool}?)"/> and <see cref="WaitForEventAsync(string, Func{QmpEvent, bool}?, CancellationToken)"/>.
/// To connect again after the connection ended, create a new client.</para>
/// <para>Every task the client hands out ends: when the connection ends, for whatever reason, every pending command fails
/// with <see cref="QmpConnectionClosedException"/> or the <see cref="QmpCommunicationException"/> that broke the connection,
/// every event enumeration finishes, and <see cref="Completion"/> completes.</para>
/// </remarks>
public sealed partial class QmpClient : IAsyncDisposable
{
    private static readonly IReadOnlyList<string> s_noCapabilities = Array.Empty<string>();
    private static readonly IReadOnlyList<string> s_oobCapability = Array.AsReadOnly(new[] { "oob" });

    private readonly QmpClientOptions _options;
    private readonly Func<QmpEndpoint, CancellationToken, ValueTask<IQmpTransport>> _connector;
    private readonly ILogger _logger;
    private readonly JsonSerializerOptions _json;
    private readonly QmpConnection _connection;
    private readonly TaskCompletionSource _connectEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    /// <summary>Per-connection state of the layers above (the schema, the typed layer's check): owned here, not in
    /// process-wide weak tables.</summary>
    internal ClientAttachments Attachments { get; } = new();

    /// <summary>Initializes a new client for the given endpoint. Nothing is connected until
    /// <see cref="ConnectAsync(CancellationToken)"/> is called.</summary>
    /// <param name="endpoint">Where the server listens.</param>
    /// <param name="options">Settings; <see langword="null"/> means <see cref="QmpClientOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public QmpClient(QmpEndpoint endpoint, QmpClientOptions? options = null)
        : this(endpoint, options, SocketTransport.ConnectAsync)
    {
    }

    /// <summary>Initializes a client that connects through the given transport factory (the seam for other transports,
    /// and for tests and fuzzing that feed the protocol layer from memory).</summary>
    internal QmpClient(QmpEndpoint endpoint, QmpClientOptions? options, Func<QmpEndpoint, CancellationToken, ValueTask<IQmpTransport>> connector)
    {
        _connector = connector;
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= QmpClientOptions.Default;
        Validate(options);
        Endpoint = endpoint;
        _options = options;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Qmp.Net.QmpClient");
        _json = options.SerializerOptions ?? QmpJson.DefaultOptions;
        _connection = new QmpConnection(endpoint, options, _logger, new StateDispatch(this));
        Events = _connection.Protocol.Subscribe(null, options.EventBufferCapacity, _logger);
    }

    /// <summary>Occurs when <see cref="State"/> changes. Every change is reported once, in order, with no lock of the client
    /// held: synchronously on the thread that made the change or, when another thread is reporting a change at that moment,
    /// on that thread right after. Handlers should be quick (one may run on the read loop). An exception from a handler is
    /// logged and otherwise ignored.</summary>
    public event EventHandler<QmpStateChangedEventArgs>? StateChanged;

    /// <summary>Gets where the server listens.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Gets the server's greeting (version and offered capabilities), once it has arrived; otherwise <see langword="null"/>.</summary>
    public QmpGreeting? Greeting => _connection.Greeting;

    /// <summary>Gets the capabilities enabled by the negotiation; empty until it has succeeded.</summary>
    public IReadOnlyList<string> NegotiatedCapabilities => _connection.OobEnabled ? s_oobCapability : s_noCapabilities;

    /// <summary>Gets the connection's state.</summary>
    public QmpState State => _connection.State;

    /// <summary>Gets a value indicating whether the greeting has been received and the connection is up.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>Gets a value indicating whether the connection is active: <see cref="State"/> is not <see cref="QmpState.Disconnected"/>.</summary>
    public bool IsConnectionActive => State != QmpState.Disconnected;

    /// <summary>Gets a task that completes when the connection has ended: successfully after <see cref="DisconnectAsync(CancellationToken)"/>,
    /// <see cref="Abort"/>, <see cref="DisposeAsync"/> or a server close between messages; faulted with the cause when the
    /// connection broke (<see cref="QmpCommunicationException"/>) or connecting failed (<see cref="QmpConnectionException"/>,
    /// or the <see cref="QmpErrorException"/> of a failed negotiation). It ends before anything else fails with the
    /// connection's error: when <see cref="ConnectAsync(CancellationToken)"/>, a command or an event wait fails because the
    /// connection ended, this task has already ended.</summary>
    public Task Completion => _connection.Completion;

    /// <summary>Gets the connection's engine (for tests: its test hooks).</summary>
    internal QmpConnection Connection => _connection;

    /// <summary>Connects to the endpoint, reads the greeting and negotiates capabilities, returning a ready client.</summary>
    /// <param name="endpoint">Where the server listens.</param>
    /// <param name="options">Settings; <see langword="null"/> means <see cref="QmpClientOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected client; dispose it to close the connection.</returns>
    /// <exception cref="QmpConnectionException">The connection could not be made, or connecting timed out.</exception>
    /// <exception cref="QmpCommunicationException">The server broke the protocol while connecting (e.g. no greeting).</exception>
    /// <exception cref="QmpErrorException">The server refused <c>qmp_capabilities</c>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<QmpClient> ConnectAsync(QmpEndpoint endpoint, QmpClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectOrDispose.RunAsync(() => new QmpClient(endpoint, options), static (c, token) => c.ConnectAsync(token), cancellationToken);

    /// <summary>Stops the client at once: the connection closes and every pending command fails with
    /// <see cref="QmpConnectionClosedException"/>; a <see cref="ConnectAsync(CancellationToken)"/> in progress (a retry delay
    /// included) ends with <see cref="QmpConnectionClosedException"/> and makes no further attempt. <see cref="Completion"/>
    /// completes successfully. Safe to call at any time, from any thread, any number of times.</summary>
    public void Abort() => _connection.Break(null);

    /// <summary>Aborts the connection (<see cref="Abort"/>) and waits until the client's I/O has stopped: a connect in
    /// progress has ended and the read and write loops have finished. Idempotent.</summary>
    /// <returns>A task that completes when the client has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connection.Break(null);
        if (_connection.Started)
        {
            // Connecting stops at once (the teardown cancelled it); its end publishes the read loop, if it started one.
            await _connectEnded.Task.ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"QmpClient({Endpoint}, {State})";

    private static void Validate(QmpClientOptions options)
    {
        OptionChecks.Timeout(options.TransactionTimeout, nameof(options.TransactionTimeout));
        OptionChecks.Timeout(options.ConnectTimeout, nameof(options.ConnectTimeout));
        OptionChecks.MaxMessageBytes(options.MaxMessageBytes);
        if (options.EventBufferCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EventBufferCapacity, "EventBufferCapacity must be at least 1.");
        }

        OptionChecks.Clock(options.TimeProvider);
        OptionChecks.IoMode(options.IoMode);
    }

    /// <summary>The client's <see cref="StateChanged"/> dispatch, as the connection knows it.</summary>
    private sealed class StateDispatch(QmpClient client) : IConnectionListener
    {
        public bool WantsStateChanges => client.StateChanged is not null;

        public void OnStateChanged(QmpState oldState, QmpState newState)
        {
            try
            {
                client.StateChanged?.Invoke(client, new QmpStateChangedEventArgs(oldState, newState));
            }
            catch (Exception e)
            {
                Log.StateChangedHandlerFailed(client._logger, newState, e);
            }
        }
    }
}
