using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Qmp.Net.Jobs;

namespace Qmp.Net.Migration;

/// <summary>One live migration, outgoing (this QEMU is the source) or incoming (the destination), followed from its
/// <c>MIGRATION</c> events to its end.</summary>
/// <remarks>
/// <para>Starting one subscribes to <c>MIGRATION</c> events, turns the <c>events</c> capability on (without it QEMU sends
/// none), applies <see cref="QmpMigrationOptions"/>, then sends <c>migrate</c> or <c>migrate-incoming</c>.
/// <see cref="Completion"/> ends with <see cref="QmpMigrationStatus.Completed"/> or <see cref="QmpMigrationStatus.Cancelled"/>;
/// a failure faults it with <see cref="QmpMigrationException"/> carrying <c>error-desc</c> from <c>query-migrate</c>;
/// a lost connection faults it with the connection's error.</para>
/// <para>Progress comes only from <c>query-migrate</c>: <see cref="WatchAsync"/> polls it, skipping a read that takes
/// longer than <see cref="QmpMigrationOptions.ProgressQueryTimeout"/> (QEMU may be too busy during switchover).</para>
/// <para>Disposing stops following the migration (it is not cancelled); an unfinished <see cref="Completion"/> then fails
/// with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class QmpMigration : IAsyncDisposable
{
    private static int s_nextFd;
    private readonly QmpClient _client;
    private readonly QmpMigrationOptions _options;
    private readonly QmpEventSubscription _subscription;
    private readonly TaskCompletionSource<QmpMigrationStatus> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly object _waitersLock = new();
    private readonly List<(QmpMigrationStatus Status, TaskCompletionSource Signal)> _waiters = [];
    private Activity? _activity;
    private int _finished;
    private Task _loop = Task.CompletedTask;
    private int _status;
    private int _disposed;

    private QmpMigration(QmpClient client, QmpMigrationOptions options, bool incoming)
    {
        _client = client;
        _options = options;
        IsIncoming = incoming;
        _completion.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _subscription = client.SubscribeEvents(static e => e.Name == "MIGRATION");
        _activity = WorkflowTelemetry.StartLongActivity("qmp.migration");
        _activity?.SetTag("qmp.migration.direction", incoming ? "incoming" : "outgoing");
    }

    /// <summary>Gets a value indicating whether this end is the destination.</summary>
    public bool IsIncoming { get; }

    /// <summary>Gets the last status seen.</summary>
    public QmpMigrationStatus Status => (QmpMigrationStatus)Volatile.Read(ref _status);

    /// <summary>Gets a task that ends with the final status (<see cref="QmpMigrationStatus.Completed"/> or
    /// <see cref="QmpMigrationStatus.Cancelled"/>), or faults with <see cref="QmpMigrationException"/> (failed), the
    /// connection's error (connection lost, QEMU exited), or <see cref="ObjectDisposedException"/>.</summary>
    public Task<QmpMigrationStatus> Completion => _completion.Task;

    /// <summary>Starts an outgoing migration to a URI: <c>unix:PATH</c>, <c>tcp:HOST:PORT</c>, <c>exec:COMMAND</c>,
    /// <c>fd:NAME</c> (a descriptor passed with <c>getfd</c>) or, on QEMU 9.1+, <c>file:PATH</c>.</summary>
    /// <param name="client">The source QEMU's client.</param>
    /// <param name="uri">Where to migrate to.</param>
    /// <param name="options">Capabilities and parameters; <see langword="null"/> for <see cref="QmpMigrationOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels the set-up commands (a started migration goes on: use <see cref="CancelAsync"/>).</param>
    /// <returns>The migration, started.</returns>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is empty.</exception>
    /// <exception cref="QmpErrorException">QEMU refused a capability, a parameter or the migration.</exception>
    public static Task<QmpMigration> StartAsync(QmpClient client, string uri, QmpMigrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return StartCoreAsync(client, options, incoming: false, "migrate", new JsonObject { ["uri"] = uri }, null, cancellationToken);
    }

    /// <summary>Starts an outgoing migration over <c>channels</c> (QEMU 8.2+), e.g.
    /// <c>[{"channel-type":"main","addr":{"transport":"socket","type":"unix","path":"/run/m.sock"}}]</c>.</summary>
    /// <param name="client">The source QEMU's client.</param>
    /// <param name="channels">The <c>channels</c> argument.</param>
    /// <param name="options">Capabilities and parameters.</param>
    /// <param name="cancellationToken">Cancels the set-up commands.</param>
    /// <returns>The migration, started.</returns>
    /// <exception cref="NotSupportedException">QEMU is older than 8.2 and does not know <c>channels</c> (its
    /// <see cref="QmpErrorException"/> is the inner exception).</exception>
    /// <exception cref="QmpErrorException">QEMU refused a capability, a parameter or the migration.</exception>
    public static Task<QmpMigration> StartAsync(QmpClient client, JsonArray channels, QmpMigrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(channels);
        return StartCoreAsync(client, options, incoming: false, "migrate", new JsonObject { ["channels"] = channels.DeepClone() }, null, cancellationToken);
    }

    /// <summary>Starts an outgoing migration into a descriptor this process owns (a socket or pipe): passes it with
    /// <c>getfd</c>, then migrates to <c>fd:NAME</c>. Unix sockets only.</summary>
    /// <param name="client">The source QEMU's client, connected over a Unix socket.</param>
    /// <param name="descriptor">The descriptor; QEMU gets its own copy, so it may be closed afterwards.</param>
    /// <param name="options">Capabilities and parameters.</param>
    /// <param name="cancellationToken">Cancels the set-up commands.</param>
    /// <returns>The migration, started.</returns>
    public static Task<QmpMigration> StartAsync(QmpClient client, SafeHandle descriptor, QmpMigrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(descriptor);
        return StartCoreAsync(client, options, incoming: false, "migrate", null, descriptor, cancellationToken);
    }

    /// <summary>Starts the incoming side on a QEMU started with <c>-incoming defer</c>: <c>migrate-incoming</c> on a URI
    /// (<c>unix:</c>, <c>tcp:</c>, <c>exec:</c>, <c>fd:</c>, <c>file:</c>). After <see cref="QmpMigrationStatus.Completed"/>
    /// the VM runs, or stays paused when QEMU was started with <c>-S</c> (then send <c>cont</c>).</summary>
    /// <param name="client">The destination QEMU's client.</param>
    /// <param name="uri">Where to listen.</param>
    /// <param name="options">Capabilities and parameters (<c>postcopy-ram</c> and <c>multifd</c> must match the source's).</param>
    /// <param name="cancellationToken">Cancels the set-up commands.</param>
    /// <returns>The incoming migration, listening.</returns>
    public static Task<QmpMigration> StartIncomingAsync(QmpClient client, string uri, QmpMigrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return StartCoreAsync(client, options, incoming: true, "migrate-incoming", new JsonObject { ["uri"] = uri }, null, cancellationToken);
    }

    /// <summary>Starts the incoming side over <c>channels</c> (QEMU 8.2+).</summary>
    /// <param name="client">The destination QEMU's client.</param>
    /// <param name="channels">The <c>channels</c> argument, e.g.
    /// <c>[{"channel-type":"main","addr":{"transport":"socket","type":"unix","path":"/run/m.sock"}}]</c>.</param>
    /// <param name="options">Capabilities and parameters.</param>
    /// <param name="cancellationToken">Cancels the set-up commands.</param>
    /// <returns>The incoming migration, listening.</returns>
    /// <exception cref="NotSupportedException">QEMU is older than 8.2 and does not know <c>channels</c> (its
    /// <see cref="QmpErrorException"/> is the inner exception).</exception>
    /// <exception cref="QmpErrorException">QEMU refused a capability, a parameter or the listening.</exception>
    public static Task<QmpMigration> StartIncomingAsync(QmpClient client, JsonArray channels, QmpMigrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(channels);
        return StartCoreAsync(client, options, incoming: true, "migrate-incoming", new JsonObject { ["channels"] = channels.DeepClone() }, null, cancellationToken);
    }

    /// <summary>Follows a migration this client did not start (another program's, or one started before a reconnect):
    /// turns on the <c>events</c> capability when QEMU still allows it, then reads <c>query-migrate</c>. A migration that
    /// has already ended is ended at once; when the capability could not be turned on (QEMU refuses capability changes
    /// while a migration runs), <see cref="WatchAsync"/> and <see cref="WaitAsync"/> with a progress receiver notice the
    /// end from <c>query-migrate</c>, so wait with a progress receiver.</summary>
    /// <param name="client">The QEMU's client.</param>
    /// <param name="incoming">Whether this QEMU is the destination (for the exception's text only).</param>
    /// <param name="options">Polling intervals; capabilities and parameters are not applied.</param>
    /// <param name="cancellationToken">Cancels the set-up commands.</param>
    /// <returns>The migration handle.</returns>
    /// <exception cref="InvalidOperationException">QEMU has no migration (<c>query-migrate</c> has no status).</exception>
    public static async Task<QmpMigration> AttachAsync(QmpClient client, bool incoming = false, QmpMigrationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var migration = new QmpMigration(client, options ?? QmpMigrationOptions.Default, incoming);
        try
        {
            try
            {
                await client.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = new JsonArray { (JsonNode)Capability("events", true) } }, cancellationToken).ConfigureAwait(false);
            }
            catch (QmpErrorException)
            {
                // A migration is in progress: the end is seen by polling instead.
            }

            migration._loop = Task.Run(migration.RunAsync, CancellationToken.None);
            var info = await client.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false);
            var progress = Parse(info);
            if (progress.Status == QmpMigrationStatus.Unknown)
            {
                throw new InvalidOperationException("QEMU has no migration to follow: query-migrate shows none.");
            }

            await migration.OnStatusAsync(progress.Status, ErrorDesc(info)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            migration.Finish(null, e, "failed");
            await migration.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return migration;
    }

    /// <summary>Reads a QEMU's migration state from <c>query-migrate</c> without following it and without changing
    /// anything (no capability is set): for a display that only looks.</summary>
    /// <param name="client">The QEMU's client.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The progress; its status is <see cref="QmpMigrationStatus.Unknown"/> when QEMU has had no migration, and
    /// <see cref="QmpMigrationProgress.ErrorDescription"/> holds QEMU's text after a failure.</returns>
    /// <exception cref="QmpErrorException">QEMU has no <c>query-migrate</c> (qemu-storage-daemon).</exception>
    public static async Task<QmpMigrationProgress> QueryAsync(QmpClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var info = await client.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false);
        return Parse(info) with { ErrorDescription = ErrorDesc(info) };
    }

    /// <summary>Reads the progress from <c>query-migrate</c> now.</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The progress.</returns>
    public async Task<QmpMigrationProgress> GetProgressAsync(CancellationToken cancellationToken = default)
    {
        var info = await _client.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false);
        return Parse(info);
    }

    /// <summary>Streams the progress every <see cref="QmpMigrationOptions.ProgressInterval"/> until the migration ends;
    /// a read slower than <see cref="QmpMigrationOptions.ProgressQueryTimeout"/> is skipped.</summary>
    /// <param name="cancellationToken">Ends the enumeration with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The progress items.</returns>
    public IAsyncEnumerable<QmpMigrationProgress> WatchAsync(CancellationToken cancellationToken = default) => WatchCoreAsync(cancellationToken);

    /// <summary>Waits for the migration to end, reporting progress on the way.</summary>
    /// <param name="progress">Receives progress items; <see langword="null"/> polls nothing. Every
    /// <see cref="IProgress{T}.Report"/> call is made before this method returns, but <see cref="Progress{T}"/> posts each
    /// report on (to the captured <see cref="SynchronizationContext"/> or the thread pool), so its handler may run later
    /// and out of order: use an <see cref="IProgress{T}"/> of your own when the last report must have been handled by the
    /// time the wait ends.</param>
    /// <param name="cancellationToken">Stops waiting (the migration goes on).</param>
    /// <returns>The final status.</returns>
    /// <exception cref="QmpMigrationException">The migration failed.</exception>
    public async Task<QmpMigrationStatus> WaitAsync(IProgress<QmpMigrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (progress is not null)
        {
            await foreach (var p in WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                progress.Report(p);
            }
        }

        return await _completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels the migration (<c>migrate_cancel</c>) and waits for it to end. The source keeps running; an
    /// incoming QEMU exits.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The final status: <see cref="QmpMigrationStatus.Cancelled"/>, or <see cref="QmpMigrationStatus.Completed"/>
    /// when it finished first.</returns>
    /// <exception cref="QmpMigrationException">The migration failed first.</exception>
    public async Task<QmpMigrationStatus> CancelAsync(CancellationToken cancellationToken = default)
    {
        if (!_completion.Task.IsCompleted)
        {
            await _client.ExecuteAsync("migrate_cancel", null, cancellationToken).ConfigureAwait(false);
        }

        return await _completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the migration is in the given status (from its <c>MIGRATION</c> events), e.g.
    /// <see cref="QmpMigrationStatus.PostcopyActive"/> before breaking a channel, or
    /// <see cref="QmpMigrationStatus.PostcopyPaused"/> before <see cref="RecoverPostcopyAsync"/>.</summary>
    /// <param name="status">The status to wait for.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the status is reached (at once if it is the current one).</returns>
    /// <exception cref="InvalidOperationException">The migration ended without reaching <paramref name="status"/>.</exception>
    /// <exception cref="QmpMigrationException">The migration failed first (or the connection's error when it was lost).</exception>
    public async Task WaitForStatusAsync(QmpMigrationStatus status, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource signal;
        lock (_waitersLock)
        {
            if (Status == status)
            {
                return;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_completion.Task.IsCompleted)
            {
                _waiters.Add((status, signal));
            }
        }

        if (_completion.Task.IsCompleted && !signal.Task.IsCompleted)
        {
            FailWaiter(signal, status);
        }

        try
        {
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_waitersLock)
            {
                _waiters.RemoveAll(w => w.Signal == signal);
            }

            throw;
        }
    }

    /// <summary>Breaks a postcopy migration's channel on purpose (<c>migrate-pause</c>): both ends go to
    /// <see cref="QmpMigrationStatus.PostcopyPaused"/>, as after a network failure, and <see cref="RecoverPostcopyAsync"/>
    /// resumes. Sent out of band when the connection negotiated <c>oob</c>.</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command.</returns>
    /// <exception cref="QmpErrorException">QEMU refused (the migration is not in postcopy).</exception>
    public Task PausePostcopyAsync(CancellationToken cancellationToken = default) =>
        ExecutePreferringOobAsync("migrate-pause", null, cancellationToken);

    /// <summary>Resumes a postcopy migration that is <see cref="QmpMigrationStatus.PostcopyPaused"/> (its channel broke, or
    /// <see cref="PausePostcopyAsync"/>), over a new channel. On the destination this sends <c>migrate-recover</c> with
    /// <paramref name="uri"/> to listen on, out of band when the connection negotiated <c>oob</c> (the destination's main
    /// thread may be stuck on a guest page fault that only the source can serve); then, on the source, <c>migrate</c> with
    /// the same URI and <c>resume: true</c>. Call it on the destination first. The handles stay the same: their
    /// <see cref="Completion"/> ends when the resumed migration does.</summary>
    /// <param name="uri">The new channel: where the destination listens and the source connects (<c>unix:</c>, <c>tcp:</c>).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command (wait for <see cref="Completion"/> after).</returns>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is empty.</exception>
    /// <exception cref="QmpErrorException">QEMU refused (not paused, or the URI is wrong).</exception>
    public Task RecoverPostcopyAsync(string uri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return IsIncoming
            ? ExecutePreferringOobAsync("migrate-recover", new JsonObject { ["uri"] = uri }, cancellationToken)
            : _client.ExecuteAsync("migrate", new JsonObject { ["uri"] = uri, ["resume"] = true }, cancellationToken);
    }

    /// <summary>Switches a running migration to postcopy (<c>migrate-start-postcopy</c>); both ends need
    /// <see cref="QmpMigrationOptions.PostcopyRam"/>.</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command.</returns>
    public Task StartPostcopyAsync(CancellationToken cancellationToken = default) =>
        _client.ExecuteAsync("migrate-start-postcopy", null, cancellationToken);

    /// <summary>Stops following the migration (it is not cancelled).</summary>
    /// <returns>A task that completes when the event loop has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscription.Dispose();
        await _loop.ConfigureAwait(false);
    }

    private async Task ExecutePreferringOobAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        try
        {
            await _client.ExecuteOobAsync(command, arguments, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (InvalidOperationException) when (_client.IsConnected)
        {
            // oob was not negotiated on this connection: in band, then.
        }

        await _client.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
    }

    private void FailWaiter(TaskCompletionSource signal, QmpMigrationStatus status)
    {
        var failure = _completion.Task.Exception?.InnerException;
        if (failure is not null)
        {
            signal.TrySetException(failure);
        }
        else
        {
            signal.TrySetException(new InvalidOperationException($"The migration ended ({Status}) without reaching {status}."));
        }
    }

    private void SignalWaiters(QmpMigrationStatus status)
    {
        List<TaskCompletionSource>? reached = null;
        lock (_waitersLock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Status == status)
                {
                    (reached ??= []).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (reached is not null)
        {
            foreach (var signal in reached)
            {
                signal.TrySetResult();
            }
        }
    }

    private static async Task<QmpMigration> StartCoreAsync(QmpClient client, QmpMigrationOptions? options, bool incoming, string command, JsonObject? arguments, SafeHandle? descriptor, CancellationToken cancellationToken)
    {
        options ??= QmpMigrationOptions.Default;
        var migration = new QmpMigration(client, options, incoming);
        try
        {
            await client.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = Capabilities(options) }, cancellationToken).ConfigureAwait(false);
            if (Parameters(options) is { Count: > 0 } parameters)
            {
                await client.ExecuteAsync("migrate-set-parameters", parameters, cancellationToken).ConfigureAwait(false);
            }

            if (descriptor is not null)
            {
                var name = $"qmpnet-migration-{Environment.ProcessId}-{Interlocked.Increment(ref s_nextFd)}";
                await client.ExecuteAsync("getfd", new JsonObject { ["fdname"] = name }, [descriptor], cancellationToken).ConfigureAwait(false);
                arguments = new JsonObject { ["uri"] = "fd:" + name };
            }

            migration._loop = Task.Run(migration.RunAsync, CancellationToken.None);
            await client.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpErrorException e) when (arguments?.ContainsKey("channels") == true && e.Command == command && IsChannelsRefusal(e))
        {
            var version = client.Greeting?.Version is { } v ? $"{v.Major}.{v.Minor}.{v.Micro}" : "of unknown version";
            var unsupported = new NotSupportedException(
                $"This QEMU ({version}) does not accept the 'channels' argument of {command} (QEMU 8.2 added it); give a URI instead (it answered: {e.Description}).",
                e);
            migration.Finish(null, unsupported, "failed");
            await migration.DisposeAsync().ConfigureAwait(false);
            throw unsupported;
        }
        catch (Exception e)
        {
            migration.Finish(null, e, "failed");
            await migration.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return migration;
    }

    /// <summary>Whether QEMU refused <c>channels</c> for not knowing it: before 8.2, <c>migrate</c> and
    /// <c>migrate-incoming</c> answer "Parameter 'uri' is missing" (QEMU 7.2), or name <c>channels</c> as unexpected.</summary>
    private static bool IsChannelsRefusal(QmpErrorException e) =>
        e.ErrorClass == "GenericError"
        && (e.Description.Contains("'uri' is missing", StringComparison.Ordinal) || e.Description.Contains("'channels' is unexpected", StringComparison.Ordinal));

    private static JsonArray Capabilities(QmpMigrationOptions options)
    {
        var list = new JsonArray { (JsonNode)Capability("events", true) };
        if (options.Multifd is { } multifd)
        {
            list.Add((JsonNode)Capability("multifd", multifd));
        }

        if (options.PostcopyRam is { } postcopy)
        {
            list.Add((JsonNode)Capability("postcopy-ram", postcopy));
        }

        foreach (var (name, state) in options.Capabilities)
        {
            list.Add((JsonNode)Capability(name, state));
        }

        return list;
    }

    private static JsonObject Capability(string name, bool state) => new() { ["capability"] = name, ["state"] = state };

    private static JsonObject Parameters(QmpMigrationOptions options)
    {
        var parameters = options.Parameters is null ? [] : (JsonObject)options.Parameters.DeepClone();
        if (options.MaxBandwidth is { } bandwidth)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(bandwidth, nameof(options));
            parameters["max-bandwidth"] = bandwidth;
        }

        if (options.DowntimeLimit is { } downtime)
        {
            parameters["downtime-limit"] = (long)downtime.TotalMilliseconds;
        }

        if (options.MultifdChannels is { } channels)
        {
            parameters["multifd-channels"] = channels;
        }

        return parameters;
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var e in _subscription.ConfigureAwait(false))
            {
                var name = e.Data.ValueKind == JsonValueKind.Object && e.Data.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String
                    ? s.GetString()
                    : null;
                _activity?.AddEvent(new ActivityEvent("status " + name));
                await OnStatusAsync(QmpMigrationStatusNames.Parse(name), null).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Handled below like the subscription's end.
        }

        if (_completion.Task.IsCompleted)
        {
            return;
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            Finish(null, new ObjectDisposedException(nameof(QmpMigration), "The migration handle was disposed before the migration ended; the migration was not cancelled."), "abandoned");
            return;
        }

        try
        {
            await _client.Completion.ConfigureAwait(false);
            Finish(null, new QmpConnectionClosedException("The connection to QEMU ended before the migration ended."), "connection-lost");
        }
        catch (Exception e)
        {
            Finish(null, e, "connection-lost");
        }
    }

    private async Task OnStatusAsync(QmpMigrationStatus status, string? error)
    {
        lock (_waitersLock)
        {
            Volatile.Write(ref _status, (int)status);
        }

        SignalWaiters(status);
        switch (status)
        {
            case QmpMigrationStatus.Completed:
            case QmpMigrationStatus.Cancelled:
                Finish(status, null, status == QmpMigrationStatus.Completed ? "success" : "cancelled");
                _subscription.Dispose();
                break;
            case QmpMigrationStatus.Failed:
                if (error is null)
                {
                    try
                    {
                        error = ErrorDesc(await _client.ExecuteAsync("query-migrate").ConfigureAwait(false));
                    }
                    catch (Exception)
                    {
                        // The text is lost with the connection; the status still says failed.
                    }
                }

                Finish(null, new QmpMigrationException(status, error, IsIncoming), "failed");
                _subscription.Dispose();
                break;
        }
    }

    private static string? ErrorDesc(JsonElement info) =>
        info.ValueKind == JsonValueKind.Object && info.TryGetProperty("error-desc", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;

    private void Finish(QmpMigrationStatus? status, Exception? error, string outcome)
    {
        // The first outcome wins. Its telemetry is recorded before Completion completes, so that a caller who awaited
        // Completion always finds the activity stopped and the migration counted.
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        var tags = new TagList { { "qmp.migration.direction", IsIncoming ? "incoming" : "outgoing" }, { "qmp.outcome", outcome } };
        WorkflowTelemetry.Migrations.Add(1, tags);
        WorkflowTelemetry.MigrationDuration.Record(Stopwatch.GetElapsedTime(_start).TotalSeconds, tags);
        WorkflowTelemetry.Finish(_activity, outcome, error?.Message);
        _activity = null;
        _ = status is { } s ? _completion.TrySetResult(s) : _completion.TrySetException(error!);
        List<(QmpMigrationStatus Status, TaskCompletionSource Signal)> waiters;
        lock (_waitersLock)
        {
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var (awaited, signal) in waiters)
        {
            FailWaiter(signal, awaited);
        }
    }

    private async IAsyncEnumerable<QmpMigrationProgress> WatchCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!_completion.Task.IsCompleted)
        {
            QmpMigrationProgress? progress = null;
            try
            {
                // A late answer must not hold the stream open after the migration has ended.
                var query = GetProgressAsync(cancellationToken).WaitAsync(_options.ProgressQueryTimeout, _options.TimeProvider, cancellationToken);
                if (await Task.WhenAny(query, _completion.Task).ConfigureAwait(false) != query)
                {
                    _ = query.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    break;
                }

                progress = await query.ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // QEMU is busy (switchover): skip this read.
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The connection ended: Completion says how.
                break;
            }

            if (progress is { } p)
            {
                yield return p;
                if (p.Status is QmpMigrationStatus.Completed or QmpMigrationStatus.Cancelled or QmpMigrationStatus.Failed)
                {
                    // Without the events capability (an attached migration) the poll is what sees the end.
                    await OnStatusAsync(p.Status, null).ConfigureAwait(false);
                }
            }

            if (_completion.Task.IsCompleted)
            {
                break;
            }

            var delay = Task.Delay(_options.ProgressInterval, _options.TimeProvider, cancellationToken);
            await Task.WhenAny(delay, _completion.Task).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static QmpMigrationProgress Parse(JsonElement info)
    {
        if (info.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        var status = info.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? QmpMigrationStatusNames.Parse(s.GetString()) : QmpMigrationStatus.Unknown;
        long transferred = 0, remaining = 0, total = 0, dirty = 0;
        if (info.TryGetProperty("ram", out var ram) && ram.ValueKind == JsonValueKind.Object)
        {
            transferred = Int(ram, "transferred");
            remaining = Int(ram, "remaining");
            total = Int(ram, "total");
            dirty = Int(ram, "dirty-pages-rate");
        }

        return new QmpMigrationProgress(status, transferred, remaining, total, dirty, Int(info, "expected-downtime"), Int(info, "total-time"));
    }

    private static long Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
