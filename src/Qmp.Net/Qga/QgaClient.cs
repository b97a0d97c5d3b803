using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qmp.Net.Internal;

namespace Qmp.Net.Qga;

/// <summary>An asynchronous client for the QEMU guest agent (<c>qemu-ga</c>), reached through the host side of its
/// virtio-serial channel (a Unix socket) or any socket the agent listens on.</summary>
/// <remarks>
/// <para>The guest agent speaks QMP's JSON without its greeting, negotiation or events, and runs one command at a
/// time; the client sends one command at a time too (concurrent callers wait their turn; their order among each other is
/// not guaranteed: await one before calling the next when order matters). Because the host side of the channel accepts writes
/// when no agent runs in the guest, every command has a timeout (<see cref="QgaClientOptions.CommandTimeout"/>). Before
/// the first command, and after any timeout, cancellation, fire-and-forget command or unexpected reply, the client
/// resynchronises with <c>guest-sync-delimited</c> and a random id: it sends a 0xFF byte (which resets the agent's
/// parser), discards everything until the agent's 0xFF delimiter and its reply with that id. Every command also carries
/// an id, so a late reply to an abandoned command is discarded, never taken for another's.</para>
/// <para>Commands that send no reply on success (<c>guest-shutdown</c>, <c>guest-suspend-disk</c>,
/// <c>guest-suspend-ram</c>, <c>guest-suspend-hybrid</c>) go through <see cref="FireAsync(string, object?, CancellationToken)"/>,
/// which completes when the command was written.</para>
/// </remarks>
public sealed class QgaClient : IAsyncDisposable
{
    private const int NotConnected = 0;
    private const int Connecting = 1;
    private const int Connected = 2;
    private const int Closed = 3;

    private readonly QgaClientOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private QgaChannel? _channel;
    private int _state;
    private bool _needsSync = true;
    private string _syncReason = "first";
    private int _discarded;
    private System.Diagnostics.Activity? _activity;
    private long _lastId;

    /// <summary>Initializes a new client for the given endpoint; nothing is connected until <see cref="ConnectAsync(CancellationToken)"/>.</summary>
    /// <param name="endpoint">Where the agent's channel is: the Unix socket of a <c>-chardev socket,...,server=on</c> bound
    /// to the <c>org.qemu.guest_agent.0</c> port, or a socket of <c>qemu-ga -m unix-listen</c>.</param>
    /// <param name="options">Settings; <see langword="null"/> means <see cref="QgaClientOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public QgaClient(QmpEndpoint endpoint, QgaClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= QgaClientOptions.Default;
        Validate(options);
        Endpoint = endpoint;
        _options = options;
        _json = options.SerializerOptions ?? QmpJson.DefaultOptions;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Qmp.Net.QgaClient");
    }

    /// <summary>Gets where the agent's channel is.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Gets a value indicating whether the channel is connected (an agent need not be running behind it).</summary>
    public bool IsConnected => Volatile.Read(ref _state) == Connected;

    /// <summary>Connects to the agent's channel.</summary>
    /// <param name="endpoint">Where the agent's channel is.</param>
    /// <param name="options">Settings; <see langword="null"/> means <see cref="QgaClientOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="QmpConnectionException">The socket connection could not be made, or timed out.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<QgaClient> ConnectAsync(QmpEndpoint endpoint, QgaClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectOrDispose.RunAsync(() => new QgaClient(endpoint, options), static (c, token) => c.ConnectAsync(token), cancellationToken);

    /// <summary>Connects to the agent's channel. No command is sent: whether an agent answers shows with the first
    /// command (or <see cref="SyncAsync(CancellationToken)"/>).</summary>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>A task that completes when the channel is connected.</returns>
    /// <exception cref="InvalidOperationException">The client is connecting, connected or closed: a client makes one connection.</exception>
    /// <exception cref="QmpConnectionException">The socket connection could not be made, or timed out.</exception>
    /// <exception cref="QmpConnectionClosedException">The client was disposed while connecting.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Connecting, NotConnected) != NotConnected)
        {
            throw new InvalidOperationException("The guest agent client is connecting, connected or closed; create a new QgaClient to connect again.");
        }

        var timeout = _options.ConnectTimeout;
        using var timeoutCts = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token, timeoutCts?.Token ?? CancellationToken.None);
        IQmpTransport transport;
        try
        {
            transport = _options.ConnectRetry is { } retry
                ? await retry.ExecuteAsync(static (endpoint, token) => SocketTransport.ConnectAsync(endpoint, token), Endpoint, linked.Token).ConfigureAwait(false)
                : await SocketTransport.ConnectAsync(Endpoint, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (_closing.IsCancellationRequested)
        {
            throw new QmpConnectionClosedException("The guest agent client was closed while connecting.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && timeoutCts?.IsCancellationRequested == true)
        {
            Volatile.Write(ref _state, Closed);
            throw new QmpConnectionException(SocketError.TimedOut, $"Connecting to the guest agent at {Endpoint} timed out after {timeout.TotalSeconds:0.###} s.", e);
        }
        catch
        {
            Volatile.Write(ref _state, Closed);
            throw;
        }

        _channel = new QgaChannel(transport, _options.MaxMessageBytes);
        if (Interlocked.CompareExchange(ref _state, Connected, Connecting) != Connecting)
        {
            // Disposed while connecting: the connection just made must not outlive the client.
            _channel.Dispose();
            throw new QmpConnectionClosedException("The guest agent client was closed while connecting.");
        }
    }

    /// <summary>Executes a command and returns its <c>return</c> value.</summary>
    /// <param name="command">The command name, e.g. <c>guest-info</c>.</param>
    /// <param name="arguments">The arguments: <see langword="null"/> for none, or a JSON object as for
    /// <see cref="QmpClient.ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; the next command then resynchronises first.</param>
    /// <returns>The <c>return</c> value.</returns>
    /// <exception cref="ArgumentException"><paramref name="command"/> is empty, or the arguments are not a JSON object of valid Unicode text.</exception>
    /// <exception cref="InvalidOperationException">The client has not connected yet.</exception>
    /// <exception cref="QmpErrorException">The agent answered with an error (e.g. <c>CommandNotFound</c> for a disabled command).</exception>
    /// <exception cref="QgaTimeoutException">The agent did not answer in time.</exception>
    /// <exception cref="QmpConnectionClosedException">The client was closed, or the agent closed the connection.</exception>
    /// <exception cref="QmpCommunicationException">The agent's reply could not be read (not JSON, too large), or the socket failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JsonElement> ExecuteAsync(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var id = NextId();
        return RunAsync(command, CommandEncoder.Encode(command, false, id, arguments, _json), id, static value => value.Clone(), cancellationToken);
    }

    /// <summary>Executes a command and deserializes its result with <see cref="QgaClientOptions.SerializerOptions"/>.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="JsonException">The result does not fit <typeparamref name="TResult"/>.</exception>
    /// <exception cref="QmpException">As for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteAsync<TResult>(string command, object? arguments = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(command, arguments, (JsonTypeInfo<TResult>)_json.GetTypeInfo(typeof(TResult)), cancellationToken);

    /// <summary>Executes a command and deserializes its result with the given metadata (native AOT safe for the result).</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="resultTypeInfo">The result's metadata, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="JsonException">The result does not fit <typeparamref name="TResult"/>.</exception>
    /// <exception cref="QmpException">As for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteAsync<TResult>(string command, object? arguments, JsonTypeInfo<TResult> resultTypeInfo, CancellationToken cancellationToken = default)
    {
        ExecuteChecks.Typed(command, resultTypeInfo);
        var id = NextId();
        return RunAsync(command, CommandEncoder.Encode(command, false, id, arguments, _json), id, value => Deserialize(command, value, resultTypeInfo), cancellationToken);
    }

    /// <summary>Executes a command whose arguments and result are serialized with the given metadata (native AOT safe).</summary>
    /// <typeparam name="TArguments">The arguments type; it must serialize to a JSON object.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments.</param>
    /// <param name="argumentsTypeInfo">The arguments' metadata.</param>
    /// <param name="resultTypeInfo">The result's metadata.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="JsonException">The result does not fit <typeparamref name="TResult"/>.</exception>
    /// <exception cref="QmpException">As for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteAsync<TArguments, TResult>(
        string command,
        TArguments arguments,
        JsonTypeInfo<TArguments> argumentsTypeInfo,
        JsonTypeInfo<TResult> resultTypeInfo,
        CancellationToken cancellationToken = default)
    {
        ExecuteChecks.Typed(command, argumentsTypeInfo, resultTypeInfo);
        var id = NextId();
        return RunAsync(command, CommandEncoder.Encode(command, false, id, arguments, argumentsTypeInfo), id, value => Deserialize(command, value, resultTypeInfo), cancellationToken);
    }

    /// <summary>Sends a command that the agent does not answer on success (<c>guest-shutdown</c>,
    /// <c>guest-suspend-disk</c>, <c>guest-suspend-ram</c>, <c>guest-suspend-hybrid</c>: <c>success-response: false</c> in
    /// the agent's schema), and completes once it was written. An error the agent sends for it later is discarded: the
    /// next command resynchronises first.</summary>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for the client's turn and the write.</param>
    /// <returns>A task that completes when the command was written.</returns>
    /// <exception cref="QmpException">The client is closed, the resynchronisation before it timed out, or the write failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task FireAsync(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var id = NextId();
        return RunAsync<bool>(command, CommandEncoder.Encode(command, false, id, arguments, _json), id, read: null, cancellationToken);
    }

    /// <summary>Resynchronises with the agent now (<c>guest-sync-delimited</c> with a random id), discarding whatever
    /// stale data the channel holds; a quick way to learn whether an agent is there.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the agent has answered.</returns>
    /// <exception cref="QgaTimeoutException">No agent answered in time.</exception>
    /// <exception cref="QmpException">The client is closed or the connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task SyncAsync(CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NeedSync("requested");
            await SyncGuardedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Closes the connection at once; the command in progress and every waiting one fail with
    /// <see cref="QmpConnectionClosedException"/>. Safe to call at any time, any number of times.</summary>
    public void Abort()
    {
        var old = Interlocked.Exchange(ref _state, Closed);
        if (old == Closed)
        {
            return;
        }

        _closing.Cancel();
        _channel?.Dispose();
        if (old == Connected)
        {
            QgaLog.Closed(_logger, Endpoint, "closed by the client");
        }
    }

    /// <summary>Aborts the connection and waits until the command in progress (if any) has ended. Idempotent.</summary>
    /// <returns>A task that completes when the client has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Abort();

        // The command in progress ends promptly once the socket is closed; taking the turn waits for it.
        await _turn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        _turn.Release();
    }

    /// <inheritdoc />
    public override string ToString() => $"QgaClient({Endpoint})";

    private static void Validate(QgaClientOptions options)
    {
        OptionChecks.Timeout(options.CommandTimeout, nameof(options.CommandTimeout));
        OptionChecks.Timeout(options.ConnectTimeout, nameof(options.ConnectTimeout));
        OptionChecks.MaxMessageBytes(options.MaxMessageBytes);
        OptionChecks.Clock(options.TimeProvider);
    }

    private static TResult Deserialize<TResult>(string command, JsonElement value, JsonTypeInfo<TResult> type)
    {
        try
        {
            return JsonSerializer.Deserialize(value, type)!;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new JsonException($"The result of guest agent command '{command}' could not be read as the requested type: {e.Message}", e);
        }
    }

    private long NextId() => Interlocked.Increment(ref _lastId);

    /// <summary>Runs one command, measured and traced while somebody listens (docs/observability.md).</summary>
    private Task<T> RunAsync<T>(string command, byte[] payload, long id, Func<JsonElement, T>? read, CancellationToken cancellationToken)
    {
        if (!QgaTelemetry.CommandsObserved)
        {
            return RunCoreAsync(command, payload, id, read, null, cancellationToken);
        }

        var tracker = QgaTelemetry.StartCommand(command, Endpoint, fire: read is null);
        return TrackAsync(RunCoreAsync(command, payload, id, read, tracker.Activity, cancellationToken), tracker);
    }

    /// <summary>Records the command's outcome before its caller sees it, so a caller that reads the metrics after its
    /// await finds its own command in them.</summary>
    private static async Task<T> TrackAsync<T>(Task<T> task, Telemetry.CommandTracker tracker)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        finally
        {
            tracker.Finish(task);
        }
    }

    private async Task<T> RunCoreAsync<T>(string command, byte[] payload, long id, Func<JsonElement, T>? read, System.Diagnostics.Activity? activity, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _activity = activity;
            if (_needsSync)
            {
                await SyncGuardedAsync(cancellationToken).ConfigureAwait(false);
            }

            return await GuardAsync(command, token => ExchangeAsync(command, payload, id, read, token), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _activity = null;
            _turn.Release();
        }
    }

    /// <summary>The stream is out of step (or its state unknown): the next command resynchronises first.</summary>
    private void NeedSync(string reason)
    {
        if (!_needsSync)
        {
            _syncReason = reason;
        }

        _needsSync = true;
    }

    /// <summary>Resynchronises under the command timeout (the caller holds the turn), and counts it.</summary>
    private async Task SyncGuardedAsync(CancellationToken cancellationToken)
    {
        var reason = _syncReason;
        _discarded = 0;
        try
        {
            await GuardAsync(QgaChannel.SyncCommand, SynchroniseAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            QgaTelemetry.Synced(reason, e, _discarded, _activity);
            throw;
        }

        QgaTelemetry.Synced(reason, null, _discarded, _activity);
    }

    /// <summary>Waits for the client's turn (one command at a time).</summary>
    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        switch (Volatile.Read(ref _state))
        {
            case NotConnected or Connecting:
                throw new InvalidOperationException("The guest agent client is not connected; call ConnectAsync first.");
            case Closed:
                throw new QmpConnectionClosedException("The guest agent connection is closed.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        try
        {
            await _turn.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QmpConnectionClosedException("The guest agent connection is closed.");
        }
        catch (OperationCanceledException e)
        {
            throw new OperationCanceledException("The wait for the guest agent was cancelled.", e, cancellationToken);
        }

        if (Volatile.Read(ref _state) == Closed)
        {
            _turn.Release();
            throw new QmpConnectionClosedException("The guest agent connection is closed.");
        }
    }

    /// <summary>Runs one exchange with the command timeout, and turns its failures into the client's exceptions: a timeout
    /// or cancellation leaves the stream out of step (resynchronise next time); a closed socket closes the client.</summary>
    private async Task<T> GuardAsync<T>(string command, Func<CancellationToken, Task<T>> exchange, CancellationToken cancellationToken)
    {
        var timeout = _options.CommandTimeout;
        using var timeoutCts = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token, timeoutCts?.Token ?? CancellationToken.None);
        try
        {
            return await exchange(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (_closing.IsCancellationRequested)
        {
            throw new QmpConnectionClosedException("The guest agent connection was closed before the reply arrived.", e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            NeedSync("cancelled");
            throw new OperationCanceledException($"The guest agent command {command} was cancelled.", e, cancellationToken);
        }
        catch (OperationCanceledException) when (timeoutCts?.IsCancellationRequested == true)
        {
            NeedSync("timeout");
            QgaLog.Timeout(_logger, Endpoint, command, timeout);
            throw new QgaTimeoutException(command, timeout);
        }
        catch (QmpCommunicationException) when (Volatile.Read(ref _state) != Closed)
        {
            // The stream could not be framed (not JSON, too large): drop it and start afresh at the next command.
            _channel!.DropBuffered();
            NeedSync("unreadable");
            throw;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            var closed = Volatile.Read(ref _state) == Closed;
            Abort();
            throw closed
                ? new QmpConnectionClosedException("The guest agent connection was closed before the reply arrived.", e)
                : new QmpCommunicationException(QmpCommunicationError.ReadFailed, $"The guest agent connection failed: {e.Message}", e);
        }
    }

    private Task GuardAsync(string command, Func<CancellationToken, Task> exchange, CancellationToken cancellationToken) =>
        GuardAsync<bool>(
            command,
            async token =>
            {
                await exchange(token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <summary>Writes one command and reads until its reply, discarding replies that carry another id.</summary>
    private async Task<T> ExchangeAsync<T>(string command, byte[] payload, long id, Func<JsonElement, T>? read, CancellationToken cancellationToken)
    {
        var channel = _channel!;
        await channel.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        if (read is null)
        {
            // No reply on success; an error reply would come later, so the next command resynchronises first.
            NeedSync("fire");
            return default!;
        }

        while (true)
        {
            using var message = await channel.ReadMessageAsync(cancellationToken).ConfigureAwait(false) ?? throw AgentClosed();
            var root = message.RootElement;
            if (!root.TryGetProperty("id", out var replyId) || replyId.ValueKind != JsonValueKind.Number
                || !replyId.TryGetInt64(out var number) || number != id)
            {
                // A late reply to an abandoned command, or an error for input the agent could not parse.
                QgaLog.StaleReply(_logger, Endpoint);
                QgaTelemetry.Discarded(1);
                NeedSync("stale_reply");
                continue;
            }

            if (root.TryGetProperty("return", out var value))
            {
                return read(value);
            }

            if (root.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("class", out var errorClass) && errorClass.ValueKind == JsonValueKind.String)
            {
                var description = error.TryGetProperty("desc", out var desc) && desc.ValueKind == JsonValueKind.String ? desc.GetString()! : string.Empty;
                throw new QmpErrorException(errorClass.GetString()!, SecretMasker.MaskEchoedSecrets(description, payload), command);
            }

            NeedSync("unexpected_reply");
            throw new QmpCommunicationException(QmpCommunicationError.UnexpectedResponse, $"The guest agent's reply to {command} is neither a return nor an error with a class.");
        }
    }

    /// <summary>Sends 0xFF and <c>guest-sync-delimited</c> with a random id, and discards everything until the agent's
    /// delimiter and the reply that returns that id.</summary>
    private async Task SynchroniseAsync(CancellationToken cancellationToken)
    {
        var channel = _channel!;
        var syncId = Random.Shared.NextInt64(1, 1L << 53);
        var text = Encoding.UTF8.GetBytes($$$"""{"execute":"{{{QgaChannel.SyncCommand}}}","arguments":{"id":{{{syncId}}}}}""");
        var payload = new byte[text.Length + 1];
        payload[0] = QgaChannel.Delimiter;
        text.CopyTo(payload, 1);

        channel.ExpectDelimiter();
        await channel.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        var discarded = 0;
        while (true)
        {
            using var message = await channel.ReadMessageAsync(cancellationToken).ConfigureAwait(false) ?? throw AgentClosed();
            if (message.RootElement.TryGetProperty("return", out var value) && value.ValueKind == JsonValueKind.Number
                && value.TryGetInt64(out var returned) && returned == syncId)
            {
                break;
            }

            _discarded = ++discarded;
        }

        _needsSync = false;
        QgaLog.Synchronised(_logger, Endpoint, discarded);
    }

    /// <summary>The agent closed the connection: the client is closed too.</summary>
    private QmpConnectionClosedException AgentClosed()
    {
        if (Interlocked.Exchange(ref _state, Closed) != Closed)
        {
            _closing.Cancel();
            _channel?.Dispose();
            QgaLog.Closed(_logger, Endpoint, "closed by the agent");
        }

        return new QmpConnectionClosedException("The guest agent closed the connection.");
    }
}
