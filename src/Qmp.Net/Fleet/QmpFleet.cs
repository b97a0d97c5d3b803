using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace Qmp.Net.Fleet;

/// <summary>Many VMs driven from one process: one connection per monitor, made on first use, commands fanned out with
/// bounded concurrency and a result or an error per VM, events fanned in and tagged with the VM's name.</summary>
/// <remarks>
/// <para>Built on <see cref="QmpClient"/>'s public API. Every command has its own timeout
/// (<see cref="QmpFleetOptions.CommandTimeout"/>, the lazy connect included): a frozen or slow VM fails only its own
/// commands, with <see cref="QmpCommandTimeoutException"/>, and never holds the others; its connection is kept, since a
/// timed-out command's late reply is matched and dropped by the client. A connection that ended is made again on the
/// VM's next command.</para>
/// </remarks>
public sealed class QmpFleet : IAsyncDisposable
{
    private readonly QmpFleetOptions _options;
    private readonly ConcurrentDictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly Channel<QmpFleetEvent> _events;
    private readonly List<string> _order = [];
    private long _dropped;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="QmpFleet"/> class.</summary>
    /// <param name="options">Settings; <see langword="null"/> means <see cref="QmpFleetOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="IOException">The transcript directory cannot be created.</exception>
    public QmpFleet(QmpFleetOptions? options = null)
    {
        _options = options ?? QmpFleetOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.CommandTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxConcurrency, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EventCapacity, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(_options.TimeProvider, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.TranscriptMaxBytes, 4096, nameof(options));
        if (_options.TranscriptDirectory is { } directory)
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        _events = Channel.CreateBounded<QmpFleetEvent>(
            new BoundedChannelOptions(_options.EventCapacity) { FullMode = BoundedChannelFullMode.DropOldest },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Gets the names of the VMs in the fleet, in the order they were added.</summary>
    public IReadOnlyCollection<string> Names
    {
        get
        {
            lock (_order)
            {
                return [.. _order];
            }
        }
    }

    /// <summary>Gets how many tagged events the fan-in stream dropped because its reader was too slow.</summary>
    public long DroppedEventCount => Interlocked.Read(ref _dropped);

    /// <summary>Adds a VM; nothing is connected until its first command.</summary>
    /// <param name="name">A name unique in the fleet; events and results carry it.</param>
    /// <param name="endpoint">Where the VM's monitor listens.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or taken.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The fleet is disposed.</exception>
    public void Add(string name, QmpEndpoint endpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(endpoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_order)
        {
            if (!_members.TryAdd(name, new Member(name, endpoint, CreateTranscript(name))))
            {
                throw new ArgumentException($"The fleet already has a VM named '{name}'.", nameof(name));
            }

            _order.Add(name);
        }
    }

    /// <summary>Runs a command on one VM, connecting first if needed, within <see cref="QmpFleetOptions.CommandTimeout"/>.</summary>
    /// <param name="name">The VM's name.</param>
    /// <param name="command">The command.</param>
    /// <param name="arguments">Its arguments, as for <see cref="QmpClient.ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The command's return value.</returns>
    /// <exception cref="KeyNotFoundException">No VM has that name.</exception>
    /// <exception cref="QmpCommandTimeoutException">The command (or the connect) took longer than the timeout.</exception>
    /// <exception cref="QmpException">Connecting failed, QEMU answered with an error, or the connection broke.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<JsonElement> ExecuteAsync(string name, string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_members.TryGetValue(name, out var member))
        {
            throw new KeyNotFoundException($"The fleet has no VM named '{name}'.");
        }

        using var timeout = new CancellationTokenSource(_options.CommandTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var client = await ConnectAsync(member, linked.Token).ConfigureAwait(false);
            return await client.ExecuteAsync(command, arguments, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new QmpCommandTimeoutException(name, command, _options.CommandTimeout);
        }
    }

    /// <summary>Runs a command on many VMs, at most <see cref="QmpFleetOptions.MaxConcurrency"/> at once, each within its own
    /// timeout; a VM's failure is its result, never the whole call's.</summary>
    /// <param name="command">The command.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="names">The VMs; <see langword="null"/> means all of them.</param>
    /// <param name="cancellationToken">Cancels the fan-out.</param>
    /// <returns>One result per VM, in the order of <paramref name="names"/> (or of <see cref="Names"/>).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<QmpFleetResult>> FanOutAsync(string command, object? arguments = null, IEnumerable<string>? names = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        var targets = (names ?? Names).ToArray();
        var results = new QmpFleetResult[targets.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, targets.Length),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                try
                {
                    results[index] = new QmpFleetResult(targets[index], await ExecuteAsync(targets[index], command, arguments, token).ConfigureAwait(false), null);
                }
                catch (Exception e) when (e is QmpException or KeyNotFoundException or ObjectDisposedException
                                              || (e is OperationCanceledException && !token.IsCancellationRequested))
                {
                    results[index] = new QmpFleetResult(targets[index], default, e);
                }
            }).ConfigureAwait(false);
        return results;
    }

    /// <summary>Reads the events of every connected VM, tagged with its name. One reader at a time; ends when the fleet is disposed.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The tagged events.</returns>
    public IAsyncEnumerable<QmpFleetEvent> ReadEventsAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Gets the path of a VM's transcript file, or <see langword="null"/> without transcripts.</summary>
    /// <param name="name">The VM's name.</param>
    /// <returns>The path.</returns>
    /// <exception cref="KeyNotFoundException">No VM has that name.</exception>
    public string? GetTranscriptPath(string name) =>
        _members.TryGetValue(name, out var member) ? member.Transcript?.Path : throw new KeyNotFoundException($"The fleet has no VM named '{name}'.");

    /// <summary>Closes every connection and ends the event stream. Idempotent; never throws.</summary>
    /// <returns>A task that completes when every connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var member in _members.Values)
        {
            if (member.Client is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            if (member.Pump is { } pump)
            {
                await pump.ConfigureAwait(false);
            }

            member.Transcript?.Dispose();
        }

        _events.Writer.TryComplete();
    }

    /// <summary>Gets how many connections the fleet has made to a VM (for the tests: a timeout must not cost a reconnect).</summary>
    internal int ConnectionsMade(string name) => _members[name].ConnectionsMade;

    private WireTranscript? CreateTranscript(string name)
    {
        if (_options.TranscriptDirectory is not { } directory)
        {
            return null;
        }

        // A VM's name is the caller's; a file name must not leave the directory or hit a reserved character.
        var invalid = Path.GetInvalidFileNameChars();
        var file = string.Concat(name.Select(c => Array.IndexOf(invalid, c) >= 0 || c == '\\' || c == '/' ? '_' : c));
        if (file is "." or "..")
        {
            file = file.Replace('.', '_');
        }

        var clientOptions = _options.ClientOptions ?? QmpClientOptions.Default;
        return new WireTranscript(Path.Combine(directory, file + ".jsonl"), _options.TranscriptMaxBytes, _options.TimeProvider, clientOptions.LoggerFactory);
    }

    private async Task<QmpClient> ConnectAsync(Member member, CancellationToken cancellationToken)
    {
        if (member.Client is { Completion.IsCompleted: false } current)
        {
            return current;
        }

        await member.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (member.Client is { Completion.IsCompleted: false } raced)
            {
                return raced;
            }

            if (member.Client is { } old)
            {
                await old.DisposeAsync().ConfigureAwait(false);
            }

            var clientOptions = member.Transcript is { } transcript
                ? (_options.ClientOptions ?? QmpClientOptions.Default) with { LoggerFactory = transcript }
                : _options.ClientOptions;
            var client = await QmpClient.ConnectAsync(member.Endpoint, clientOptions, cancellationToken).ConfigureAwait(false);
            member.ConnectionsMade++;
            member.Pump = PumpAsync(member.Name, client);
            member.Client = client;
            return client;
        }
        finally
        {
            member.Gate.Release();
        }
    }

    private async Task PumpAsync(string name, QmpClient client)
    {
        try
        {
            await foreach (var qmpEvent in client.Events.ConfigureAwait(false))
            {
                _events.Writer.TryWrite(new QmpFleetEvent(name, qmpEvent));
            }
        }
        catch (Exception e) when (e is QmpException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended; the next command reconnects.
        }
    }

    private sealed class Member(string name, QmpEndpoint endpoint, WireTranscript? transcript)
    {
        public WireTranscript? Transcript { get; } = transcript;

        public string Name { get; } = name;

        public QmpEndpoint Endpoint { get; } = endpoint;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile QmpClient? Client;

        public Task? Pump;

        public int ConnectionsMade;
    }
}
