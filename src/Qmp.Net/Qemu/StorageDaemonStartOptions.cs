namespace Qmp.Net.Qemu;

/// <summary>How <see cref="StorageDaemonProcess.StartAsync(StorageDaemonStartOptions, CancellationToken)"/> starts
/// <c>qemu-storage-daemon</c>: the block nodes, exports and NBD server it has from its first instant, and the process
/// settings it shares with <see cref="QemuStartOptions"/>.</summary>
/// <remarks>Each entry is the value of one daemon option, in the daemon's own syntax: <c>key=value,...</c> pairs (dotted
/// keys for nested members, e.g. <c>file.filename=disk.qcow2</c>) or a JSON object. Options are immutable; derive a changed
/// copy with a <c>with</c> expression.</remarks>
/// <example><code>
/// var options = new StorageDaemonStartOptions
/// {
///     BlockDevs = ["driver=qcow2,node-name=disk0,file.driver=file,file.filename=/srv/disk.qcow2"],
///     NbdServer = "addr.type=unix,addr.path=/run/disk0.nbd",
///     Exports = ["type=nbd,id=export0,node-name=disk0,name=disk0"],
/// };
/// await using var daemon = await StorageDaemonProcess.StartAsync(options);
/// </code></example>
public sealed record StorageDaemonStartOptions
{
    /// <summary>The default binary: <c>qemu-storage-daemon</c>.</summary>
    public const string DefaultBinary = "qemu-storage-daemon";

    /// <summary>Gets the daemon binary: a file name looked up on <c>PATH</c> or a path to the executable. Its file name must
    /// start with <c>qemu-storage-daemon</c> (that is how the monitor's option syntax is chosen).</summary>
    /// <value>The default value is <c>qemu-storage-daemon</c> (Debian package <c>qemu-system-common</c>).</value>
    public string Binary { get; init; } = DefaultBinary;

    /// <summary>Gets the block nodes to open at start, one <c>--blockdev</c> each, in order (a node can name the nodes
    /// before it, e.g. a <c>qcow2</c> node on a <c>file</c> node).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> BlockDevs { get; init; } = [];

    /// <summary>Gets the NBD server to start (the value of <c>--nbd-server</c>, e.g. <c>addr.type=unix,addr.path=PATH</c>),
    /// or <see langword="null"/> for none; <c>nbd</c> exports need it (or a later <c>nbd-server-start</c>).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? NbdServer { get; init; }

    /// <summary>Gets the exports to add at start, one <c>--export</c> each (after every block node and the NBD server).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> Exports { get; init; } = [];

    /// <summary>Gets further daemon arguments, passed untouched before the block nodes (e.g. <c>--object</c>,
    /// <c>--chardev</c>, <c>--trace</c>).</summary>
    /// <value>The default value is empty.</value>
    /// <remarks><c>--monitor</c> and <c>--daemonize</c> are refused: the session's monitor is the private one that
    /// <see cref="StorageDaemonProcess"/> adds, and a daemonized process could not be tracked or stopped.</remarks>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Gets the options of the <see cref="QmpClient"/> connected to the daemon's monitor.</summary>
    /// <value>The default value is <see langword="null"/>, meaning <see cref="QmpClientOptions.Default"/>.</value>
    public QmpClientOptions? ClientOptions { get; init; }

    /// <summary>Gets how long start-up may take, from starting the process until the QMP connection is negotiated.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the grace period that <see cref="StorageDaemonProcess.DisposeAsync"/> gives each step of stopping.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan DisposeGrace { get; init; } = TimeSpan.FromSeconds(2);
}
