using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Qmp.Net.Testing;

/// <summary>A scriptable QMP server on a real socket, for unit tests of code that talks QMP: it greets, checks the
/// capabilities negotiation as QEMU does, answers commands through handlers, emits events when told, records every command
/// it receives, and injects faults (held or missing replies, split writes, raw bytes, closes and resets).</summary>
/// <remarks>
/// <para>The server accepts one connection at a time; when it ends, the next client can connect. Like QEMU, it answers
/// in-band commands one at a time in the order received while it keeps reading, and runs <c>exec-oob</c> commands at once
/// (only after the client enabled <c>oob</c>). Until <c>qmp_capabilities</c> succeeds every other command gets
/// <c>CommandNotFound</c>. A command without a handler gets <c>CommandNotFound</c> with QEMU's wording.</para>
/// <para>Handlers run on the server's connection task and receive a token that is cancelled when the connection ends.
/// A handler returns the <c>return</c> value (<see langword="null"/> for <c>{}</c>; a <see cref="JsonElement"/>,
/// <see cref="System.Text.Json.Nodes.JsonNode"/> or any object, serialized with the client's own default options: kebab-case
/// names and enum values, null members left out), throws
/// <see cref="QmpTestServerError"/> for an error reply, or returns <see cref="NoReply"/> to answer nothing. An exception of
/// another type becomes a <c>GenericError</c> reply and is kept in <see cref="HandlerFailures"/>.</para>
/// <para>Nothing the server does in the background throws: a client that goes away just ends the connection.
/// <see cref="DisposeAsync"/> stops everything and deletes the socket's directory.</para>
/// </remarks>
/// <example><code>
/// await using var server = await QmpTestServer.StartAsync();
/// server.Handle("query-status", args => new { status = "running", running = true });
/// server.Handle("cont", async (request, ct) =>
/// {
///     await server.EmitEventAsync("RESUME", cancellationToken: ct); // sent before the reply, as QEMU does
///     return null;                                                  // {"return": {}}
/// });
/// server.HandleError("device_del", "DeviceNotFound", "Device 'nic0' not found");
///
/// await using var client = await QmpClient.ConnectAsync(server.Endpoint);
/// await codeUnderTest.ResumeAsync(client);
/// var cont = await server.WaitForCommandAsync("cont");
/// </code></example>
public sealed partial class QmpTestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string? _directory;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Func<ReceivedCommand, CancellationToken, Task<object?>>> _handlers = new(StringComparer.Ordinal);
    private readonly object _sync = new();
    private readonly List<ReceivedCommand> _commands = [];
    private readonly List<(Func<ReceivedCommand, bool> Match, TaskCompletionSource<ReceivedCommand> Done)> _commandWaiters = [];
    private readonly List<Exception> _handlerFailures = [];
    private Task _acceptLoop = Task.CompletedTask;
    private Connection? _current;
    private TaskCompletionSource _nextConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private QmpReplyGate? _gate;
    private int _connectionCount;
    private int _writeChunkSize;
    private long _bytesReceived;
    private int _disposed;

    private QmpTestServer(QmpTestServerOptions options, Socket listener, QmpEndpoint endpoint, string? directory)
    {
        Options = options;
        _listener = listener;
        Endpoint = endpoint;
        _directory = directory;
        _writeChunkSize = options.WriteChunkSize;
    }

    /// <summary>Gets a marker a handler returns to send no reply at all (the client then waits, as for a hung server).</summary>
    public static object NoReply { get; } = new NoReplyMarker();

    /// <summary>Gets where the server listens; pass it to <see cref="QmpClient"/>.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Gets the server's settings.</summary>
    public QmpTestServerOptions Options { get; }

    /// <summary>Gets how many connections the server has accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Gets a value indicating whether a client is connected now.</summary>
    public bool IsClientConnected => Volatile.Read(ref _current) is { IsClosed: false };

    /// <summary>Gets a value indicating whether the current (or last) connection completed <c>qmp_capabilities</c>.</summary>
    public bool IsNegotiated => Volatile.Read(ref _current)?.Negotiated ?? false;

    /// <summary>Gets the capabilities the client enabled on the current (or last) connection; empty before negotiation.</summary>
    public IReadOnlyList<string> EnabledCapabilities => Volatile.Read(ref _current)?.Enabled ?? [];

    /// <summary>Gets every command received so far, on every connection, in order of arrival.</summary>
    public IReadOnlyList<ReceivedCommand> Commands
    {
        get
        {
            lock (_sync)
            {
                return [.. _commands];
            }
        }
    }

    /// <summary>Gets the total number of bytes received from clients, whitespace between commands included (to check that
    /// a client sends nothing but its commands).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Gets the exceptions handlers threw other than <see cref="QmpTestServerError"/> (each was answered with a
    /// <c>GenericError</c>).</summary>
    public IReadOnlyList<Exception> HandlerFailures
    {
        get
        {
            lock (_sync)
            {
                return [.. _handlerFailures];
            }
        }
    }

    /// <summary>Gets or sets the size of the pieces each later message is written in, one socket send per piece; 0 writes
    /// whole messages, 1 writes byte by byte.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int WriteChunkSize
    {
        get => Volatile.Read(ref _writeChunkSize);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _writeChunkSize, value);
        }
    }

    /// <summary>Starts a server listening on a fresh Unix socket (or TCP on 127.0.0.1, per <see cref="QmpTestServerOptions.Transport"/>).</summary>
    /// <param name="options">Settings; <see langword="null"/> means <see cref="QmpTestServerOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The listening server; dispose it to stop.</returns>
    public static Task<QmpTestServer> StartAsync(QmpTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= QmpTestServerOptions.Default;
        ArgumentNullException.ThrowIfNull(options.Version, nameof(options.Version));
        ArgumentNullException.ThrowIfNull(options.Capabilities, nameof(options.Capabilities));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider));
        ArgumentOutOfRangeException.ThrowIfNegative(options.WriteChunkSize, nameof(options.WriteChunkSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxCommandBytes, 1, nameof(options.MaxCommandBytes));

        Socket listener;
        QmpEndpoint endpoint;
        string? directory = null;
        if (options.Transport == QmpTestServerTransport.Tcp)
        {
            listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(16);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            endpoint = QmpEndpoint.Tcp("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port);
        }
        else
        {
            string path;
            if (options.SocketPath is { } chosen)
            {
                path = chosen;
            }
            else
            {
                directory = Directory.CreateTempSubdirectory("qmp-test-").FullName;
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }

                path = Path.Combine(directory, "qmp.sock");
            }

            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                listener.Bind(new UnixDomainSocketEndPoint(path));
                listener.Listen(16);
                endpoint = QmpEndpoint.Unix(path);
            }
            catch
            {
                listener.Dispose();
                if (directory is not null)
                {
                    Directory.Delete(directory, recursive: true);
                }

                throw;
            }
        }

        var server = new QmpTestServer(options, listener, endpoint, directory);
        if (options.Profile == QmpTestServerProfile.QemuLike)
        {
            server.InstallQemuLikeProfile();
        }

        // On the thread pool, never on the caller's SynchronizationContext (which may never run what is posted to it).
        server._acceptLoop = Task.Run(server.AcceptLoopAsync, CancellationToken.None);
        return Task.FromResult(server);
    }

    /// <summary>Answers <paramref name="command"/> through a synchronous handler given the command's arguments
    /// (an empty object when there are none). Replaces an earlier handler of the same command.</summary>
    /// <param name="command">The command name.</param>
    /// <param name="handler">Returns the <c>return</c> value (see <see cref="QmpTestServer"/> remarks), or throws
    /// <see cref="QmpTestServerError"/>.</param>
    /// <example><code>server.Handle("query-status", args => new { status = "running", running = true });</code></example>
    public void Handle(string command, Func<JsonElement, object?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Handle(command, (request, _) => Task.FromResult(handler(request.Arguments)));
    }

    /// <summary>Answers <paramref name="command"/> through an asynchronous handler given the whole request and a token that
    /// is cancelled when the connection ends. Events it emits (<see cref="EmitEventAsync"/>) go out before its reply.
    /// Replaces an earlier handler of the same command.</summary>
    /// <param name="command">The command name. A handler for <c>qmp_capabilities</c> runs after the server's own checks;
    /// when it returns (anything but <see cref="NoReply"/>) the negotiation succeeds.</param>
    /// <param name="handler">Returns the <c>return</c> value, throws <see cref="QmpTestServerError"/>, or returns <see cref="NoReply"/>.</param>
    public void Handle(string command, Func<ReceivedCommand, CancellationToken, Task<object?>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(handler);
        _handlers[command] = handler;
    }

    /// <summary>Answers <paramref name="command"/> with an error reply.</summary>
    /// <param name="command">The command name.</param>
    /// <param name="errorClass">The error class, e.g. <c>GenericError</c> or <c>DeviceNotFound</c>.</param>
    /// <param name="description">The error description.</param>
    public void HandleError(string command, string errorClass, string description)
    {
        var error = new QmpTestServerError(errorClass, description);
        Handle(command, (_, _) => Task.FromException<object?>(error));
    }

    /// <summary>Makes the server record <paramref name="command"/> and never answer it.</summary>
    /// <param name="command">The command name.</param>
    public void NeverReply(string command) => Handle(command, (_, _) => Task.FromResult<object?>(NoReply));

    /// <summary>Holds every later in-band reply until the returned gate lets it through; commands are still read and
    /// recorded meanwhile. Out-of-band replies and events are not held.</summary>
    /// <returns>The gate; <see cref="QmpReplyGate.Open"/> (or disposing it) ends the hold.</returns>
    /// <exception cref="InvalidOperationException">A gate is already holding replies.</exception>
    public QmpReplyGate HoldReplies()
    {
        var gate = new QmpReplyGate(g => Interlocked.CompareExchange(ref _gate, null, g));
        if (Interlocked.CompareExchange(ref _gate, gate, null) is not null)
        {
            throw new InvalidOperationException("Replies are already held; open the current gate first.");
        }

        return gate;
    }

    /// <summary>Waits until a command with the given name has been received (or returns the first one already received).</summary>
    /// <param name="command">The command name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The first received command of that name.</returns>
    public Task<ReceivedCommand> WaitForCommandAsync(string command, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return WaitForCommandAsync(c => c.Name == command, cancellationToken);
    }

    /// <summary>Waits until a command matching <paramref name="match"/> has been received (or returns the first one
    /// already received). Use <see cref="ReceivedCommand.Index"/> in the condition to wait for a later one.</summary>
    /// <param name="match">The condition; it runs on the server's connection task and must be quick.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The first received command that matches.</returns>
    public Task<ReceivedCommand> WaitForCommandAsync(Func<ReceivedCommand, bool> match, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);

        // The condition is the caller's code: it runs outside the server's lock, on a snapshot of the log. A waiter is
        // registered (under the lock) only once it has seen every command recorded so far, so none slips past it.
        var checkedCount = 0;
        while (true)
        {
            ReceivedCommand[] unseen;
            lock (_sync)
            {
                if (checkedCount == _commands.Count)
                {
                    if (Volatile.Read(ref _disposed) != 0)
                    {
                        return Task.FromException<ReceivedCommand>(new ObjectDisposedException(nameof(QmpTestServer)));
                    }

                    var done = new TaskCompletionSource<ReceivedCommand>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _commandWaiters.Add((match, done));
                    return done.Task.WaitAsync(cancellationToken);
                }

                unseen = _commands.GetRange(checkedCount, _commands.Count - checkedCount).ToArray();
            }

            foreach (var command in unseen)
            {
                if (match(command))
                {
                    return Task.FromResult(command);
                }
            }

            checkedCount += unseen.Length;
        }
    }

    /// <summary>Waits until a client is connected (at once when one is).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when a client is connected.</returns>
    public Task WaitForClientAsync(CancellationToken cancellationToken = default)
    {
        var next = Volatile.Read(ref _nextConnection);
        return IsClientConnected ? Task.CompletedTask : next.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Waits until the current connection has ended (at once when no client is connected).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public Task WaitForDisconnectAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current) is { } connection ? connection.Closed.Task.WaitAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Sends an event to the connected client, now or (from inside a handler) before the handler's reply.</summary>
    /// <param name="name">The event name, e.g. <c>RESUME</c>.</param>
    /// <param name="data">The event's <c>data</c>; <see langword="null"/> leaves the member out.</param>
    /// <param name="timestamp">The timestamp; <see langword="null"/> uses <see cref="QmpTestServerOptions.TimeProvider"/>'s now,
    /// and <see cref="DateTimeOffset.MinValue"/> sends -1/-1 (QEMU's "clock unreadable").</param>
    /// <param name="cancellationToken">Cancels the wait to write.</param>
    /// <returns>A task that completes when the event has been written.</returns>
    /// <exception cref="InvalidOperationException">No client is connected, or the write failed.</exception>
    public Task EmitEventAsync(string name, object? data = null, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var message = BuildEvent(name, data, timestamp ?? Options.TimeProvider.GetUtcNow());
        return RequireConnection().SendOrThrowAsync(message, cancellationToken);
    }

    /// <summary>Sends bytes exactly as given (split per <see cref="WriteChunkSize"/>), between whole messages.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="cancellationToken">Cancels the wait to write.</param>
    /// <returns>A task that completes when the bytes have been written.</returns>
    /// <exception cref="InvalidOperationException">No client is connected, or the write failed.</exception>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        RequireConnection().SendOrThrowAsync(bytes, cancellationToken);

    /// <summary>Sends text, encoded as UTF-8, exactly as given (split per <see cref="WriteChunkSize"/>), between whole messages.</summary>
    /// <param name="text">The text, e.g. <c>{"return": {}, "id": 99}</c>.</param>
    /// <param name="cancellationToken">Cancels the wait to write.</param>
    /// <returns>A task that completes when the text has been written.</returns>
    /// <exception cref="InvalidOperationException">No client is connected, or the write failed.</exception>
    public Task SendRawAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SendRawAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>Closes the connection gracefully at a message boundary (after any message being written), as a QEMU that exits does.</summary>
    /// <param name="cancellationToken">Cancels the wait for a message being written.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async Task CloseConnectionAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _current) is { } connection)
        {
            await connection.CloseAtBoundaryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the beginning of a message and closes the connection, so the client sees it end inside a message.</summary>
    /// <param name="cancellationToken">Cancels the wait for a message being written.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async Task CloseMidMessageAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _current) is { } connection)
        {
            await connection.SendQuietlyAsync("{\"return\": {\"sta"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await connection.CloseAtBoundaryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Resets the connection at once: on TCP the client sees a reset (RST, through a zero linger time) instead of
    /// a clean end. A Unix socket has no reset: there it is an abrupt close.</summary>
    public void ResetConnection() => Volatile.Read(ref _current)?.Close(reset: true);

    /// <summary>Stops receiving on the connection while keeping it open for sending. On a Unix socket the client's next
    /// write then fails at once (EPIPE) while its reads still work: a deterministic write failure.</summary>
    public void ShutDownReceive() => Volatile.Read(ref _current)?.ShutDownReceive();

    /// <summary>Stops the server: closes the listener and the connection, ends every handler's token and waits for the
    /// server's tasks, then deletes the socket's directory. Idempotent.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        Volatile.Read(ref _current)?.Close(reset: false);
        await _acceptLoop.ConfigureAwait(false);
        _gate?.Open();
        lock (_sync)
        {
            foreach (var (_, done) in _commandWaiters)
            {
                // A waiter whose caller stopped waiting (its token) must not surface as an unobserved exception.
                done.TrySetException(new ObjectDisposedException(nameof(QmpTestServer)));
                _ = done.Task.Exception;
            }

            _commandWaiters.Clear();
        }

        try
        {
            if (_directory is not null)
            {
                Directory.Delete(_directory, recursive: true);
            }
            else if (Endpoint is QmpUnixEndpoint unix)
            {
                File.Delete(unix.Path);
            }
        }
        catch (IOException)
        {
            // Already gone.
        }

        _stop.Dispose();
    }

    /// <summary>Stops accepting connections, as a QEMU that has exited (the socket file stays until <see cref="DisposeAsync"/>).</summary>
    private void StopListening() => _listener.Dispose();

    private Connection RequireConnection() =>
        Volatile.Read(ref _current) is { IsClosed: false } connection
            ? connection
            : throw new InvalidOperationException("No client is connected to the QMP test server.");

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                break;
            }

            if (Options.Transport == QmpTestServerTransport.Tcp)
            {
                socket.NoDelay = true;
            }

            var connection = new Connection(this, socket, Interlocked.Increment(ref _connectionCount));
            Volatile.Write(ref _current, connection);
            Interlocked.Exchange(ref _nextConnection, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            if (_stop.IsCancellationRequested)
            {
                connection.Close(reset: false);
            }

            await connection.RunAsync().ConfigureAwait(false);
        }
    }

    private ReceivedCommand Record(int connection, string name, JsonElement arguments, JsonElement? id, byte[] raw, bool isOob)
    {
        ReceivedCommand command;
        (Func<ReceivedCommand, bool> Match, TaskCompletionSource<ReceivedCommand> Done)[] waiters;
        lock (_sync)
        {
            command = new ReceivedCommand(_commands.Count, connection, name, arguments, id, raw, isOob);
            _commands.Add(command);
            waiters = [.. _commandWaiters];
        }

        // The waiters' conditions are the callers' code: they run outside the lock. Commands are recorded by one read loop
        // at a time, so each waiter still sees the commands in order and completes with the first that matches.
        foreach (var (match, done) in waiters)
        {
            bool isMatch;
            try
            {
                isMatch = match(command);
            }
            catch (Exception e)
            {
                Forget(match, done);
                done.TrySetException(e);
                _ = done.Task.Exception;
                continue;
            }

            if (isMatch)
            {
                Forget(match, done);
                done.TrySetResult(command);
            }
        }

        return command;
    }

    private void Forget(Func<ReceivedCommand, bool> match, TaskCompletionSource<ReceivedCommand> done)
    {
        lock (_sync)
        {
            _commandWaiters.Remove((match, done));
        }
    }

    private void RecordFailure(Exception e)
    {
        lock (_sync)
        {
            _handlerFailures.Add(e);
        }
    }

    private sealed class NoReplyMarker
    {
        public override string ToString() => "NoReply";
    }
}
