namespace Qmp.Net.Qemu;

/// <summary>A running <c>qemu-storage-daemon</c> with a private QMP monitor: block nodes, exports (NBD, vhost-user-blk,
/// FUSE) and block jobs without a VM, driven through the same <see cref="QmpClient"/> (and typed commands) as a QEMU.</summary>
/// <remarks>A thin layer over <see cref="QemuProcess"/>: the monitor is added in accept mode on a socket in a fresh 0700
/// directory, which is removed once connected; stopping sends <c>quit</c>, then SIGTERM, then SIGKILL. Dispose it (or
/// <see cref="StopAsync(TimeSpan, CancellationToken)"/>) to end the daemon; disposing never throws.</remarks>
public sealed class StorageDaemonProcess : IAsyncDisposable
{
    private StorageDaemonProcess(QemuProcess process) => Process = process;

    /// <summary>Gets the underlying process (exit code, stderr, stop methods).</summary>
    public QemuProcess Process { get; }

    /// <summary>Gets the client connected to the daemon's private monitor.</summary>
    public QmpClient Client => Process.Client;

    /// <summary>Gets the daemon's version, from its QMP greeting.</summary>
    public QmpVersion Version => Process.Version;

    /// <summary>Gets the daemon's process id.</summary>
    public int ProcessId => Process.ProcessId;

    /// <summary>Gets what the daemon wrote to standard error so far.</summary>
    public string Stderr => Process.Stderr;

    /// <summary>Gets a task that completes with the daemon's exit code when it exits.</summary>
    public Task<int> Exited => Process.Exited;

    /// <summary>Starts <c>qemu-storage-daemon</c> with the given block nodes, NBD server and exports, and connects to its
    /// private monitor.</summary>
    /// <param name="options">The start options.</param>
    /// <param name="cancellationToken">Cancels the start; the daemon is then killed.</param>
    /// <returns>The running daemon, its client negotiated.</returns>
    /// <exception cref="ArgumentException">An option is empty, the binary's file name does not start with
    /// <c>qemu-storage-daemon</c>, or <see cref="StorageDaemonStartOptions.Arguments"/> contain <c>--monitor</c> or
    /// <c>--daemonize</c>.</exception>
    /// <exception cref="QemuStartException">The daemon was not found, exited during start-up (for example on a bad
    /// <c>--blockdev</c>; the exception carries its stderr), or its monitor was not ready in time.</exception>
    public static async Task<StorageDaemonProcess> StartAsync(StorageDaemonStartOptions options, CancellationToken cancellationToken = default)
    {
        var arguments = BuildArguments(options);
        var process = await QemuProcess.StartAsync(
            new QemuStartOptions
            {
                Binary = options.Binary,
                Arguments = arguments,
                ClientOptions = options.ClientOptions,
                StartTimeout = options.StartTimeout,
                DisposeGrace = options.DisposeGrace,
            },
            cancellationToken).ConfigureAwait(false);
        return new StorageDaemonProcess(process);
    }

    /// <summary>Stops the daemon: <c>quit</c>, then SIGTERM, then SIGKILL, each given <paramref name="grace"/>.</summary>
    /// <param name="grace">How long each step may take.</param>
    /// <param name="cancellationToken">Skips straight to SIGKILL.</param>
    /// <returns>How the daemon ended.</returns>
    public Task<QemuStopMethod> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default) =>
        Process.StopAsync(grace, cancellationToken);

    /// <summary>Stops the daemon as <see cref="StopAsync(TimeSpan, CancellationToken)"/> does with
    /// <see cref="StorageDaemonStartOptions.DisposeGrace"/>; never throws.</summary>
    /// <returns>A task that completes when the daemon is gone.</returns>
    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => "StorageDaemonProcess(" + Process + ")";

    /// <summary>The daemon's command line before the monitor arguments: the caller's arguments, then every
    /// <c>--blockdev</c>, the <c>--nbd-server</c> and every <c>--export</c> (the daemon processes them in order).</summary>
    internal static IReadOnlyList<string> BuildArguments(StorageDaemonStartOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Binary, nameof(options));
        if (!Path.GetFileName(options.Binary).StartsWith(StorageDaemonStartOptions.DefaultBinary, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The binary '{options.Binary}' is not a qemu-storage-daemon: its file name must start with 'qemu-storage-daemon' (for qemu-system-* use QemuProcess).",
                nameof(options));
        }

        var arguments = new List<string>();
        foreach (var argument in options.Arguments ?? throw new ArgumentException("Arguments is null.", nameof(options)))
        {
            ArgumentNullException.ThrowIfNull(argument, nameof(options));
            if (argument is "--monitor" or "--daemonize" || argument.StartsWith("--monitor=", StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"StorageDaemonProcess adds its own private monitor and must track the process: remove '{argument}' from Arguments (use QemuProcess with Endpoint for a monitor of your own).",
                    nameof(options));
            }

            arguments.Add(argument);
        }

        Add(arguments, "--blockdev", options.BlockDevs, nameof(StorageDaemonStartOptions.BlockDevs));
        if (options.NbdServer is not null)
        {
            Add(arguments, "--nbd-server", [options.NbdServer], nameof(StorageDaemonStartOptions.NbdServer));
        }

        Add(arguments, "--export", options.Exports, nameof(StorageDaemonStartOptions.Exports));
        return arguments;
    }

    private static void Add(List<string> arguments, string option, IReadOnlyList<string>? values, string property)
    {
        if (values is null)
        {
            throw new ArgumentException($"{property} is null.", "options");
        }

        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"{property} holds an empty value: each entry is the value of one {option} option.", "options");
            }

            arguments.Add(option);
            arguments.Add(value);
        }
    }
}
