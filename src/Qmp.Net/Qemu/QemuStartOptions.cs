namespace Qmp.Net.Qemu;

/// <summary>How <see cref="QemuProcess.StartAsync(QemuStartOptions, CancellationToken)"/> starts QEMU.</summary>
/// <remarks>Options are immutable; derive a changed copy with a <c>with</c> expression.</remarks>
/// <example><code>
/// var options = new QemuStartOptions { Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"] };
/// await using var qemu = await QemuProcess.StartAsync(options);
/// Console.WriteLine(await qemu.Client.ExecuteAsync("query-status"));
/// </code></example>
public sealed record QemuStartOptions
{
    /// <summary>The default binary: <c>qemu-system-x86_64</c>.</summary>
    public const string DefaultBinary = "qemu-system-x86_64";

    /// <summary>Gets the QEMU binary: a file name looked up on <c>PATH</c> (e.g. <c>qemu-system-aarch64</c>,
    /// <c>qemu-storage-daemon</c>) or a path to the executable.</summary>
    /// <value>The default value is <c>qemu-system-x86_64</c>.</value>
    public string Binary { get; init; } = DefaultBinary;

    /// <summary>Gets the caller's arguments, passed to QEMU untouched and in order, before the QMP monitor arguments that
    /// <see cref="QemuProcess"/> adds.</summary>
    /// <value>The default value is empty. A bare <c>qemu-system-*</c> boots its default machine; for a quick monitor-only
    /// process pass <c>-machine none -nodefaults -display none -S</c>.</value>
    /// <remarks>When these arguments already name a QMP monitor (<c>-qmp</c>, <c>-qmp-pretty</c>, <c>-mon</c>, or
    /// <c>--monitor</c> for <c>qemu-storage-daemon</c>), nothing is added and <see cref="Endpoint"/> must say where that
    /// monitor listens. <c>-daemonize</c> is refused: the process must stay a child of this one to be tracked and stopped.</remarks>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Gets where the caller's own QMP monitor listens, for arguments that already name one (see <see cref="Arguments"/>).</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="QemuProcess"/> adds a monitor on a Unix socket in a fresh
    /// private directory (mode 0700) and connects to it.</value>
    public QmpEndpoint? Endpoint { get; init; }

    /// <summary>Gets how the monitor that <see cref="QemuProcess"/> adds is reached: QEMU connects to a listener of ours
    /// (<see cref="QemuMonitorMode.Accept"/>) or we connect to QEMU (<see cref="QemuMonitorMode.Connect"/>). It does not
    /// apply when the arguments name their own monitor (<see cref="Endpoint"/>): that one is always connected to.</summary>
    /// <value>The default value is <see cref="QemuMonitorMode.Accept"/>.</value>
    public QemuMonitorMode MonitorMode { get; init; } = QemuMonitorMode.Accept;

    /// <summary>Gets the options of the <see cref="QmpClient"/> that connects to the monitor.</summary>
    /// <value>The default value is <see langword="null"/>, meaning <see cref="QmpClientOptions.Default"/>. In
    /// <see cref="QemuMonitorMode.Accept"/> mode they are used as they are (there is no connection to retry). Otherwise, when its
    /// <see cref="QmpClientOptions.ConnectRetry"/> is null, a pipeline that retries every 10 ms while the socket is not there
    /// yet is used; <see cref="QmpClientOptions.ConnectTimeout"/> is replaced by a per-attempt budget of at most 3 seconds
    /// (attempts repeat within <see cref="StartTimeout"/>).</value>
    public QmpClientOptions? ClientOptions { get; init; }

    /// <summary>Gets how long start-up may take, from starting the process until the QMP connection is negotiated.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the grace period that <see cref="QemuProcess.DisposeAsync"/> gives each step of stopping
    /// (see <see cref="QemuProcess.StopAsync(TimeSpan, CancellationToken)"/>).</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan DisposeGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets whether QEMU ends with this .NET process (<see cref="QemuLifetime.StopWithOwner"/>) or outlives it on
    /// purpose (<see cref="QemuLifetime.Detached"/>, which needs <see cref="StateDirectory"/>).</summary>
    /// <value>The default value is <see cref="QemuLifetime.StopWithOwner"/>.</value>
    public QemuLifetime Lifetime { get; init; } = QemuLifetime.StopWithOwner;

    /// <summary>Gets a directory of the caller's choosing for the monitor socket(s) and, for a <see cref="QemuLifetime.Detached"/>
    /// QEMU, the state file (<c>qemu.json</c>) that <see cref="QemuProcess.AttachAsync(string, QmpClientOptions?, CancellationToken)"/>
    /// reads. It is created when missing and set to mode 0700; it must not hold a QEMU that still runs.</summary>
    /// <value>The default value is <see langword="null"/>: a fresh private directory under <c>$TMPDIR</c>, deleted when QEMU
    /// stops. A caller's directory is kept; the files Qmp.Net put there are deleted when QEMU stops.</value>
    public string? StateDirectory { get; init; }

    /// <summary>Gets the names of extra QMP monitors to add next to the managed one (for the <c>qmp</c> tool or a debugging
    /// session): each listens on <c>NAME.sock</c> in the same private directory (see <see cref="QemuProcess.ExtraMonitors"/>).</summary>
    /// <value>The default value is empty. Names use letters, digits, <c>-</c> and <c>_</c>; <c>qmp</c> is taken.</value>
    public IReadOnlyList<string> ExtraMonitors { get; init; } = [];
}
