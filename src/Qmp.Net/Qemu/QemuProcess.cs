using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Qmp.Net.Qemu;

/// <summary>A QEMU process started by Qmp.Net, with a connected <see cref="QmpClient"/> on its QMP monitor.</summary>
/// <remarks>
/// <para><see cref="StartAsync(QemuStartOptions, CancellationToken)"/> starts the binary (no shell), adds a QMP monitor on a
/// Unix socket in a fresh private directory (mode 0700) unless the caller's arguments name one, and connects: by default
/// (<see cref="QemuMonitorMode.Accept"/>) Qmp.Net listens on the socket and QEMU connects to it while it starts, so there
/// is no start-up race; with <see cref="QemuMonitorMode.Connect"/> QEMU listens and Qmp.Net connects, retrying. <see cref="StopAsync(TimeSpan, CancellationToken)"/> and <see cref="DisposeAsync"/> end the
/// process (<c>quit</c>, then SIGTERM, then SIGKILL) and delete the directory, so an <c>await using</c> leaves nothing
/// behind even when the code inside throws.</para>
/// <para>Supported binaries: every <c>qemu-system-*</c> target (monitor added with <c>-chardev socket,path=PATH</c> and
/// <c>-mon</c>, or <c>-qmp unix:PATH,server=on,wait=off</c> in connect mode) and <c>qemu-storage-daemon</c> (monitor added
/// with <c>--chardev socket,...</c> and <c>--monitor</c>). Linux and other Unix
/// systems only.</para>
/// </remarks>
public sealed class QemuProcess : IAsyncDisposable
{
    /// <summary>The most standard-error text kept; later output is dropped.</summary>
    public const int MaxCapturedStderrChars = 1024 * 1024;

    private const string SocketFileName = "qmp.sock";
    private const int MaxUnixSocketPathBytes = 107;
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_attemptTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_killWait = TimeSpan.FromSeconds(10);

    private readonly Process? _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly Task _stdoutPump;
    private readonly Task<int> _exited;
    private readonly TimeSpan _disposeGrace;
    private readonly bool _ownsDirectory;
    private readonly long _attachedStartTime;
    private readonly CancellationTokenSource _released = new();
    private QmpClient? _client;
    private QmpVersion? _version;
    private Task<QemuStopMethod>? _stop;

    private QemuProcess(
        Process process,
        string binaryPath,
        string? socketDirectory,
        bool ownsDirectory,
        QmpEndpoint endpoint,
        QemuStartOptions options,
        IReadOnlyDictionary<string, QmpEndpoint> extraMonitors)
    {
        _process = process;
        BinaryPath = binaryPath;
        SocketDirectory = socketDirectory;
        _ownsDirectory = ownsDirectory;
        Endpoint = endpoint;
        _disposeGrace = options.DisposeGrace;
        Lifetime = options.Lifetime;
        ExtraMonitors = extraMonitors;
        ProcessId = process.Id;

        // The pumps start on the thread pool, never on the caller's SynchronizationContext: a context that is blocked or
        // never runs posted work would otherwise lose QEMU's error text and leave QEMU blocked on a full pipe.
        var stderr = process.StandardError;
        var stdout = process.StandardOutput.BaseStream;
        _stderrPump = Task.Run(() => PumpStderrAsync(stderr), CancellationToken.None);
        _stdoutPump = Task.Run(() => DrainAsync(stdout), CancellationToken.None);
        _exited = WatchExitAsync();
    }

    /// <summary>An attached QEMU: not this process's child, found through its state directory.</summary>
    private QemuProcess(QemuStateFile state, string directory, QmpClient client)
    {
        _process = null;
        _attachedStartTime = state.StartTime;
        BinaryPath = state.Binary;
        SocketDirectory = directory;
        Endpoint = client.Endpoint;
        _disposeGrace = new QemuStartOptions().DisposeGrace;
        Lifetime = QemuLifetime.Detached;
        ExtraMonitors = state.ExtraMonitors.ToDictionary(m => m.Key, m => (QmpEndpoint)QmpEndpoint.Unix(m.Value), StringComparer.Ordinal);
        ProcessId = state.Pid;
        _client = client;
        _version = client.Greeting?.Version;
        _stderrPump = Task.CompletedTask;
        _stdoutPump = Task.CompletedTask;
        _exited = WatchAttachedExitAsync(_released.Token);
    }

    /// <summary>Gets whether this QEMU ends with this .NET process or outlives it (an attached QEMU is always
    /// <see cref="QemuLifetime.Detached"/>).</summary>
    public QemuLifetime Lifetime { get; }

    /// <summary>Gets the extra monitors (<see cref="QemuStartOptions.ExtraMonitors"/>) by name: Unix sockets in
    /// <see cref="SocketDirectory"/> that anyone running as this user can connect to, e.g. with the <c>qmp</c> tool.</summary>
    public IReadOnlyDictionary<string, QmpEndpoint> ExtraMonitors { get; }

    /// <summary>Gets what <see cref="AttachAsync(string, QmpClientOptions?, CancellationToken)"/> read from the monitor when it
    /// attached (status and jobs), or <see langword="null"/> for a QEMU this object started.</summary>
    public QemuAttachment? Attachment { get; private set; }

    /// <summary>Gets the connected QMP client. It belongs to this object: <see cref="StopAsync(TimeSpan, CancellationToken)"/>
    /// and <see cref="DisposeAsync"/> dispose it.</summary>
    public QmpClient Client => _client ?? throw new InvalidOperationException("The QEMU process has no QMP client yet.");

    /// <summary>Gets the operating-system id of the QEMU process.</summary>
    public int ProcessId { get; }

    /// <summary>Gets the full path of the binary that was started.</summary>
    public string BinaryPath { get; }

    /// <summary>Gets QEMU's version, as its QMP greeting reported it.</summary>
    public QmpVersion Version => _version ?? throw new InvalidOperationException("The QEMU process has not greeted yet.");

    /// <summary>Gets what QEMU has written to its standard error so far (at most <see cref="MaxCapturedStderrChars"/> characters).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Gets the private directory (mode 0700) holding the monitor socket, or <see langword="null"/> when the caller's
    /// arguments named their own monitor (<see cref="QemuStartOptions.Endpoint"/>). It is deleted when QEMU is stopped, unless
    /// it is the caller's <see cref="QemuStartOptions.StateDirectory"/> (then only the files Qmp.Net put there are).</summary>
    public string? SocketDirectory { get; }

    /// <summary>Gets where the QMP monitor listens.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Gets a value indicating whether the QEMU process has exited.</summary>
    public bool HasExited => _exited.IsCompleted;

    /// <summary>Gets a task that completes with the process's exit code when QEMU exits, for whatever reason
    /// (a process ended by a signal reports 128 plus the signal number, e.g. 137 after SIGKILL). An attached QEMU is not
    /// this process's child: its exit code cannot be known, and the task completes with -1 (or is cancelled once the object is
    /// disposed without stopping QEMU).</summary>
    public Task<int> Exited => _exited;

    /// <summary>Starts QEMU, waits until its QMP monitor accepts connections and connects a <see cref="QmpClient"/> to it.</summary>
    /// <param name="options">What to start and how.</param>
    /// <param name="cancellationToken">Cancels starting; the process is then killed and its directory deleted.</param>
    /// <returns>The running QEMU, ready for commands. Dispose it (or call <see cref="StopAsync(TimeSpan, CancellationToken)"/>) to stop QEMU.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The arguments name their own QMP monitor but <see cref="QemuStartOptions.Endpoint"/>
    /// is not set, or they contain <c>-daemonize</c>.</exception>
    /// <exception cref="QemuStartException">The binary was not found or could not run, QEMU exited during start-up
    /// (<see cref="QemuStartException.ExitCode"/> and <see cref="QemuStartException.Stderr"/> tell why), or its monitor was
    /// not ready within <see cref="QemuStartOptions.StartTimeout"/>.</exception>
    /// <exception cref="QmpException">The monitor answered, but negotiating QMP failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="PlatformNotSupportedException">The operating system is Windows.</exception>
    public static async Task<QemuProcess> StartAsync(QemuStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Arguments, nameof(options.Arguments));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Binary, nameof(options.Binary));
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("QemuProcess supports Linux and other Unix systems.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var storageDaemon = IsStorageDaemon(options.Binary);
        var ownMonitor = NamesMonitor(options.Arguments, storageDaemon);
        if (options.Arguments.Any(a => a is "-daemonize" or "--daemonize"))
        {
            throw new ArgumentException("QemuProcess cannot track a daemonized QEMU: remove -daemonize from the arguments.", nameof(options));
        }

        if (ownMonitor && options.Endpoint is null)
        {
            throw new ArgumentException(
                "The arguments already name a QMP monitor (-qmp, -qmp-pretty, -mon or --monitor): set QemuStartOptions.Endpoint to where it listens.",
                nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.ExtraMonitors, nameof(options.ExtraMonitors));
        if (options.Lifetime == QemuLifetime.Detached && options.StateDirectory is null)
        {
            throw new ArgumentException(
                "A detached QEMU needs QemuStartOptions.StateDirectory: it is where a later process finds it again.", nameof(options));
        }

        if (ownMonitor && (options.StateDirectory is not null || options.ExtraMonitors.Count > 0))
        {
            throw new ArgumentException(
                "StateDirectory and ExtraMonitors hold monitors that Qmp.Net adds; they cannot be combined with arguments that name their own monitor.",
                nameof(options));
        }

        ValidateMonitorNames(options.ExtraMonitors);
        var binaryPath = ResolveBinary(options.Binary) ?? throw new QemuStartException(
            $"The QEMU binary '{options.Binary}' was not found{(options.Binary.Contains('/', StringComparison.Ordinal) ? string.Empty : " on PATH")}. " +
            $"On Debian or Ubuntu install it with: sudo apt-get install {PackageFor(options.Binary)}",
            null,
            string.Empty);

        string? directory = null;
        var ownsDirectory = options.StateDirectory is null;
        QmpListener? listener = null;
        var endpoint = options.Endpoint;
        var arguments = new List<string>(options.Arguments);
        var extraMonitors = new Dictionary<string, QmpEndpoint>(StringComparer.Ordinal);
        if (endpoint is null)
        {
            directory = ownsDirectory ? Directory.CreateTempSubdirectory("qmp-net-").FullName : PrepareStateDirectory(options.StateDirectory!);
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var socket = Path.Combine(directory, SocketFileName);
            foreach (var path in options.ExtraMonitors.Select(name => Path.Combine(directory, name + ".sock")).Prepend(socket))
            {
                if (Encoding.UTF8.GetByteCount(path) > MaxUnixSocketPathBytes)
                {
                    ReleaseDirectory(directory, ownsDirectory, options.ExtraMonitors);
                    throw new QemuStartException(
                        $"The monitor socket path '{path}' is longer than a Unix socket path may be ({MaxUnixSocketPathBytes} bytes): " +
                        (ownsDirectory ? "set TMPDIR to a shorter directory." : "choose a shorter StateDirectory."),
                        null,
                        string.Empty);
                }
            }

            foreach (var name in options.ExtraMonitors)
            {
                // Extra monitors always listen: they are for whoever comes along (the qmp tool, a debugging session).
                var extra = Path.Combine(directory, name + ".sock");
                var chardev = $"socket,id=qmp-net-{name},path={extra.Replace(",", ",,", StringComparison.Ordinal)},server=on,wait=off";
                arguments.AddRange(storageDaemon
                    ? ["--chardev", chardev, "--monitor", $"chardev=qmp-net-{name}"]
                    : ["-chardev", chardev, "-mon", $"chardev=qmp-net-{name},mode=control"]);
                extraMonitors[name] = QmpEndpoint.Unix(extra);
            }

            // QEMU's option syntax escapes a comma by doubling it.
            var quoted = socket.Replace(",", ",,", StringComparison.Ordinal);

            // A detached QEMU listens itself: the process that finds it again after a restart connects to it.
            var accept = options.MonitorMode == QemuMonitorMode.Accept && options.Lifetime == QemuLifetime.StopWithOwner;
            var server = accept ? string.Empty : ",server=on,wait=off";
            if (storageDaemon)
            {
                arguments.AddRange(["--chardev", $"socket,id=qmp-net,path={quoted}{server}", "--monitor", "chardev=qmp-net"]);
            }
            else if (accept)
            {
                arguments.AddRange(["-chardev", $"socket,id=qmp-net,path={quoted}", "-mon", "chardev=qmp-net,mode=control"]);
            }
            else
            {
                arguments.AddRange(["-qmp", $"unix:{quoted}{server}"]);
            }

            if (accept)
            {
                // Listening before QEMU starts: QEMU connects while it starts up, and the socket file is gone again once
                // the connection is accepted.
                listener = QmpListener.Listen(QmpEndpoint.Unix(socket), options.ClientOptions);
            }

            endpoint = QmpEndpoint.Unix(socket);
        }

        var (launcher, launcherArguments) = Launcher(binaryPath, options.Lifetime);
        var startInfo = new ProcessStartInfo(launcher)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in launcherArguments.Concat(arguments))
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = options.Lifetime == QemuLifetime.StopWithOwner
                ? await QemuSpawner.StartAsync(startInfo).ConfigureAwait(false)
                : Process.Start(startInfo) ?? throw new Win32Exception("Process.Start returned no process.");
        }
        catch (Win32Exception e)
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            if (directory is not null)
            {
                ReleaseDirectory(directory, ownsDirectory, options.ExtraMonitors);
            }

            throw new QemuStartException($"Could not run '{binaryPath}': {e.Message}", null, string.Empty, e);
        }

        var qemu = new QemuProcess(process, binaryPath, directory, ownsDirectory, endpoint, options, extraMonitors);
        if (options.Lifetime == QemuLifetime.StopWithOwner)
        {
            // Bound at once: a signal that arrives while QEMU starts stops it too.
            QemuOwnerBinding.Bind(qemu);
        }

        try
        {
            if (listener is not null)
            {
                await qemu.AcceptAsync(listener, options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await qemu.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            }

            if (options.Lifetime == QemuLifetime.Detached)
            {
                var startTime = QemuStateFile.ReadStartTime(qemu.ProcessId) ?? throw qemu.ExitedDuringStart(null);
                new QemuStateFile(
                    qemu.ProcessId,
                    startTime,
                    binaryPath,
                    ((QmpUnixEndpoint)endpoint).Path,
                    extraMonitors.ToDictionary(m => m.Key, m => ((QmpUnixEndpoint)m.Value).Path, StringComparer.Ordinal)).Write(directory!);
            }

            return qemu;
        }
        catch
        {
            await qemu.KillAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops QEMU: sends <c>quit</c> over QMP and waits up to <paramref name="grace"/> for the process to exit; if it
    /// has not, sends SIGTERM and waits up to <paramref name="grace"/> again; if it still has not, kills it with SIGKILL.
    /// Then disposes <see cref="Client"/> and deletes <see cref="SocketDirectory"/>. Calling it again returns the first stop's outcome.</summary>
    /// <param name="grace">How long each step waits for the process to exit.</param>
    /// <param name="cancellationToken">Cuts the stop short: QEMU is then killed with SIGKILL at once, and the method throws
    /// <see cref="OperationCanceledException"/> once the process is gone.</param>
    /// <returns>How the process ended.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="grace"/> is negative.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<QemuStopMethod> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);

        // The first caller claims the stop with one atomic exchange and then runs it outside any lock: stopping sends quit
        // and disposes the client, which runs user code (loggers, StateChanged handlers) that must not hold up, or
        // deadlock with, a second caller.
        var stop = Volatile.Read(ref _stop);
        if (stop is null)
        {
            var claim = new TaskCompletionSource<QemuStopMethod>(TaskCreationOptions.RunContinuationsAsynchronously);
            stop = Interlocked.CompareExchange(ref _stop, claim.Task, null) ?? claim.Task;
            if (stop == claim.Task)
            {
                _ = RunStopAsync(claim, grace, cancellationToken);
            }
        }

        var method = await stop.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return method;
    }

    /// <summary>Stops QEMU as <see cref="StopAsync(TimeSpan, CancellationToken)"/> does, with <see cref="QemuStartOptions.DisposeGrace"/>
    /// (2 seconds by default) per step. Never throws; idempotent. A <see cref="QemuLifetime.Detached"/> (or attached) QEMU is not
    /// stopped: disposing only closes this object's connection to it, and it keeps running.</summary>
    /// <returns>A task that completes when the process is gone and the directory deleted.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Lifetime == QemuLifetime.Detached && Volatile.Read(ref _stop) is null)
        {
            // A detached QEMU outlives this object: let go of it (its state directory stays for AttachAsync).
            try
            {
                await _released.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Stopped meanwhile.
            }
            if (_client is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            return;
        }

        try
        {
            await StopAsync(_disposeGrace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // StopAsync always ends the process before it throws; there is nothing more to do.
        }
    }

    /// <summary>Attaches to a <see cref="QemuLifetime.Detached"/> QEMU that an earlier process started with
    /// <see cref="QemuStartOptions.StateDirectory"/> = <paramref name="stateDirectory"/>: checks that the process recorded there is
    /// still the same process (pid and start time), connects to its monitor and reads its status and jobs
    /// (<see cref="Attachment"/>). <see cref="StopAsync(TimeSpan, CancellationToken)"/> then stops it as if this process had
    /// started it; disposing only lets go of it.</summary>
    /// <param name="stateDirectory">The state directory the QEMU was started with.</param>
    /// <param name="clientOptions">Options of the <see cref="QmpClient"/>; <see langword="null"/> means <see cref="QmpClientOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels attaching.</param>
    /// <returns>The attached QEMU, with a connected <see cref="Client"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="stateDirectory"/> is null, empty or white space.</exception>
    /// <exception cref="QemuAttachException">The directory holds no state file or is open to other users, the QEMU recorded
    /// there has exited (or its pid belongs to another process now), or its monitor did not answer.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="PlatformNotSupportedException">The operating system is not Linux.</exception>
    public static async Task<QemuProcess> AttachAsync(string stateDirectory, QmpClientOptions? clientOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Attaching to a running QEMU reads /proc and is supported on Linux only.");
        }

        var directory = Path.GetFullPath(stateDirectory);
        if (!File.Exists(Path.Combine(directory, QemuStateFile.FileName)))
        {
            throw new QemuAttachException($"'{directory}' holds no QEMU state file ({QemuStateFile.FileName}): there is nothing to attach to.", directory);
        }

        var mode = File.GetUnixFileMode(directory);
        if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)) != 0)
        {
            throw new QemuAttachException(
                $"'{directory}' is open to other users (mode {Convert.ToString((int)mode, 8)}): a directory holding a QMP monitor must be 0700.",
                directory);
        }

        QemuStateFile state;
        try
        {
            state = QemuStateFile.Read(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new QemuAttachException($"The state file in '{directory}' cannot be read: {e.Message}", directory, e);
        }

        var startTime = QemuStateFile.ReadStartTime(state.Pid);
        if (startTime is null)
        {
            throw new QemuAttachException($"The QEMU recorded in '{directory}' (pid {state.Pid}) is no longer running.", directory);
        }

        if (startTime != state.StartTime)
        {
            throw new QemuAttachException(
                string.Create(CultureInfo.InvariantCulture, $"The QEMU recorded in '{directory}' has exited: its pid {state.Pid} now belongs to another process (start time {startTime}, not {state.StartTime})."),
                directory);
        }

        QmpClient client;
        try
        {
            client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(state.Socket), clientOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpException e)
        {
            throw new QemuAttachException($"QEMU (pid {state.Pid}) runs, but its monitor at unix:{state.Socket} did not answer: {e.Message}", directory, e);
        }

        var qemu = new QemuProcess(state, directory, client);
        try
        {
            var status = await client.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false);
            var jobs = await client.ExecuteAsync("query-jobs", null, cancellationToken).ConfigureAwait(false);
            qemu.Attachment = new QemuAttachment(
                status.GetProperty("status").GetString() ?? string.Empty,
                status.TryGetProperty("running", out var running) && running.ValueKind == System.Text.Json.JsonValueKind.True,
                jobs);
            return qemu;
        }
        catch (Exception e) when (e is QmpException or KeyNotFoundException or InvalidOperationException)
        {
            await qemu.DisposeAsync().ConfigureAwait(false);
            throw new QemuAttachException($"QEMU (pid {state.Pid}) answered, but reading its status and jobs failed: {e.Message}", directory, e);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"QemuProcess({Path.GetFileName(BinaryPath)}, pid {ProcessId}, {Endpoint}{(HasExited ? ", exited" : string.Empty)})");

    internal static bool IsStorageDaemon(string binary) =>
        Path.GetFileName(binary).StartsWith("qemu-storage-daemon", StringComparison.Ordinal);

    /// <summary>Tells whether the caller's arguments already set up a QMP monitor.</summary>
    internal static bool NamesMonitor(IReadOnlyList<string> arguments, bool storageDaemon)
    {
        foreach (var argument in arguments)
        {
            if (argument is "-qmp" or "--qmp" or "-qmp-pretty" or "--qmp-pretty" or "-mon" or "--mon")
            {
                return true;
            }

            if (storageDaemon && (argument == "--monitor" || argument.StartsWith("--monitor=", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Names the Debian/Ubuntu package that ships a QEMU binary.</summary>
    internal static string PackageFor(string binary)
    {
        var name = Path.GetFileName(binary);
        return name switch
        {
            "qemu-system-x86_64" or "qemu-system-i386" => "qemu-system-x86",
            "qemu-system-aarch64" or "qemu-system-arm" => "qemu-system-arm",
            "qemu-storage-daemon" => "qemu-system-common",
            _ when name.StartsWith("qemu-system-ppc", StringComparison.Ordinal) => "qemu-system-ppc",
            _ when name.StartsWith("qemu-system-mips", StringComparison.Ordinal) => "qemu-system-mips",
            _ when name.StartsWith("qemu-system-sparc", StringComparison.Ordinal) => "qemu-system-sparc",
            _ when name.StartsWith("qemu-system-s390x", StringComparison.Ordinal) => "qemu-system-s390x",
            _ => "qemu-system (the package that provides " + name + ")",
        };
    }

    /// <summary>What to run: QEMU itself, or a util-linux launcher that sets the process up and then becomes QEMU
    /// (<c>exec</c>, same pid). <c>setpriv --pdeathsig TERM</c> makes the kernel send QEMU SIGTERM when the thread that
    /// started it ends, which <see cref="QemuSpawner"/> makes "when this process ends"; <c>setsid</c> puts a detached QEMU in
    /// a session of its own, out of reach of the signals a terminal or a supervisor sends to this process's group. Without
    /// the launcher (not installed), QEMU is started as it is.</summary>
    internal static (string FileName, string[] Arguments) Launcher(string binaryPath, QemuLifetime lifetime)
    {
        if (OperatingSystem.IsLinux())
        {
            if (lifetime == QemuLifetime.StopWithOwner && s_setpriv.Value is { } setpriv)
            {
                return (setpriv, ["--pdeathsig", "TERM", "--", binaryPath]);
            }

            if (lifetime == QemuLifetime.Detached && s_setsid.Value is { } setsid)
            {
                return (setsid, [binaryPath]);
            }
        }

        return (binaryPath, []);
    }

    private static readonly Lazy<string?> s_setpriv = new(() => ResolveBinary("setpriv"));
    private static readonly Lazy<string?> s_setsid = new(() => ResolveBinary("setsid"));

    private static void ValidateMonitorNames(IReadOnlyList<string> names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrEmpty(name) || name.Length > 32 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new ArgumentException(
                    $"The extra monitor name '{name}' is not valid: use 1 to 32 letters, digits, '-' or '_'.", "options");
            }

            if (name == "qmp" || !seen.Add(name))
            {
                throw new ArgumentException($"The extra monitor name '{name}' is taken (by the managed monitor or an earlier name).", "options");
            }
        }
    }

    /// <summary>Creates the caller's state directory (or takes the existing one), refusing one that holds a QEMU that still
    /// runs, and clears what an earlier QEMU left there.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string PrepareStateDirectory(string stateDirectory)
    {
        var directory = Path.GetFullPath(stateDirectory);
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var stateFile = Path.Combine(directory, QemuStateFile.FileName);
        if (File.Exists(stateFile))
        {
            QemuStateFile? state = null;
            try
            {
                state = QemuStateFile.Read(directory);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // An unreadable state file records nothing that could still run.
            }

            if (state is not null && QemuStateFile.ReadStartTime(state.Pid) == state.StartTime)
            {
                throw new ArgumentException(
                    $"The state directory '{directory}' belongs to a QEMU that still runs (pid {state.Pid}): attach to it with QemuProcess.AttachAsync, or choose another directory.",
                    "options");
            }

            File.Delete(stateFile);
        }

        foreach (var socket in Directory.EnumerateFiles(directory, "*.sock"))
        {
            File.Delete(socket);
        }

        return directory;
    }

    /// <summary>Deletes a directory Qmp.Net created, or only the files it put into the caller's state directory.</summary>
    private static void ReleaseDirectory(string directory, bool ownsDirectory, IEnumerable<string> extraMonitors)
    {
        if (ownsDirectory)
        {
            TryDeleteDirectory(directory);
            return;
        }

        foreach (var file in extraMonitors.Select(name => name + ".sock").Concat([SocketFileName, QemuStateFile.FileName, QemuStateFile.FileName + ".tmp"]))
        {
            try
            {
                File.Delete(Path.Combine(directory, file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort, as for the directory.
            }
        }
    }

    /// <summary>An attached QEMU is not this process's child, so it cannot be waited for: its /proc entry is watched instead.</summary>
    private async Task<int> WatchAttachedExitAsync(CancellationToken released)
    {
        // Let go of (disposed while detached), the watch ends and the task is cancelled: the exit is no longer watched.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (QemuStateFile.ReadStartTime(ProcessId) == _attachedStartTime)
        {
            await timer.WaitForNextTickAsync(released).ConfigureAwait(false);
        }

        return -1;
    }

    private static string? ResolveBinary(string binary)
    {
        if (binary.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(binary) ? Path.GetFullPath(binary) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a directory that cannot be deleted is reported by nothing worse than its presence.
        }
    }

    private static async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Gets how many connections were tried before the monitor was negotiated (1 in accept mode; more when QEMU
    /// 7.2's start-up race broke a connect-mode attempt). For the tests of the start-up race.</summary>
    internal int ConnectionAttempts { get; private set; }

    /// <summary>Accept mode: QEMU connects to our listener while it starts; the first connection is the monitor's.</summary>
    private async Task AcceptAsync(QmpListener listener, QemuStartOptions options, CancellationToken cancellationToken)
    {
        using var stopAccepting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.StartTimeout != Timeout.InfiniteTimeSpan)
        {
            stopAccepting.CancelAfter(options.StartTimeout);
        }

        ConnectionAttempts = 1;
        var accept = listener.AcceptAsync(stopAccepting.Token);
        var first = await Task.WhenAny(accept, _exited).ConfigureAwait(false);
        if (first != accept)
        {
            // QEMU exited (a bad argument, say) before it connected.
            await stopAccepting.CancelAsync().ConfigureAwait(false);
            await DiscardAsync(accept).ConfigureAwait(false);
            throw ExitedDuringStart(null);
        }

        try
        {
            _client = await accept.ConfigureAwait(false);
            _version = _client.Greeting?.Version;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            throw new QemuStartException(
                $"QEMU ({BinaryPath}) did not connect to its QMP monitor socket {Endpoint} within {options.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s. {DescribeStderr()}",
                null,
                Stderr,
                e);
        }
        catch (QmpException e) when (e is QmpConnectionException or QmpCommunicationException or QmpConnectionClosedException)
        {
            if (await WaitAsync(_exited, TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false))
            {
                throw ExitedDuringStart(e);
            }

            throw new QemuStartException($"QEMU ({BinaryPath}) did not start: its QMP monitor connection failed: {e.Message}. {DescribeStderr()}", null, Stderr, e);
        }
    }

    private static async Task DiscardAsync(Task<QmpClient> accept)
    {
        try
        {
            var late = await accept.ConfigureAwait(false);
            await late.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Superseded by the exit.
        }
    }

    private async Task ConnectAsync(QemuStartOptions options, CancellationToken cancellationToken)
    {
        var baseOptions = options.ClientOptions ?? QmpClientOptions.Default;
        var infinite = options.StartTimeout == Timeout.InfiniteTimeSpan;

        // Each attempt gets a short budget and attempts repeat until StartTimeout: QEMU 7.2 has a start-up race in which a
        // client that connects while the monitor is still being set up gets the greeting twice, gets an event (RESUME) before
        // the greeting, sees the connection close
        // after the greeting, or never gets an answer to qmp_capabilities (seen here about once in 150 starts with ten
        // QEMUs starting at once). QEMU is alive then, and its monitor works on the next connection.
        var attemptTimeout = infinite || options.StartTimeout > s_attemptTimeout ? s_attemptTimeout : options.StartTimeout;
        var started = Stopwatch.GetTimestamp();
        var attempts = (int)Math.Clamp(attemptTimeout.Ticks / s_retryDelay.Ticks, 1, int.MaxValue);
        var clientOptions = baseOptions with
        {
            ConnectTimeout = attemptTimeout,
            ConnectRetry = baseOptions.ConnectRetry ?? QmpConnectRetry.Create(attempts, s_retryDelay),
        };

        while (true)
        {
            ConnectionAttempts++;
            using var stopConnecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var connect = QmpClient.ConnectAsync(Endpoint, clientOptions, stopConnecting.Token);
            var first = await Task.WhenAny(connect, _exited).ConfigureAwait(false);
            if (first != connect)
            {
                // QEMU exited while the client was still waiting for its socket.
                await stopConnecting.CancelAsync().ConfigureAwait(false);
                try
                {
                    var late = await connect.ConfigureAwait(false);
                    await late.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Superseded by the exit.
                }

                throw ExitedDuringStart(null);
            }

            try
            {
                _client = await connect.ConfigureAwait(false);
                _version = _client.Greeting?.Version;
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is QmpConnectionException or QmpCommunicationException or QmpConnectionClosedException)
            {
                // A QEMU that is dying closes its socket before its exit is seen: give the exit a moment to show.
                if (await WaitAsync(_exited, TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false))
                {
                    throw ExitedDuringStart(e);
                }

                var timedOut = e is QmpConnectionException { SocketError: System.Net.Sockets.SocketError.TimedOut };
                if (infinite || Stopwatch.GetElapsedTime(started) < options.StartTimeout)
                {
                    continue;
                }

                var why = timedOut
                    ? $"its QMP monitor at {Endpoint} was not ready within {options.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"
                    : $"connecting to its QMP monitor at {Endpoint} failed: {e.Message}";
                throw new QemuStartException($"QEMU ({BinaryPath}) did not start: {why}. {DescribeStderr()}", null, Stderr, e);
            }
        }
    }

    private QemuStartException ExitedDuringStart(Exception? inner)
    {
        var code = _exited.Result;
        return new QemuStartException(
            string.Create(CultureInfo.InvariantCulture, $"QEMU ({BinaryPath}) exited with code {code} during start-up. {DescribeStderr()}"),
            code,
            Stderr,
            inner);
    }

    private string DescribeStderr()
    {
        var text = Stderr.Trim();
        if (text.Length == 0)
        {
            return "It wrote nothing to stderr.";
        }

        return "Its stderr: " + (text.Length > 2000 ? text[..2000] + "..." : text);
    }

    private async Task RunStopAsync(TaskCompletionSource<QemuStopMethod> stop, TimeSpan grace, CancellationToken cancellationToken)
    {
        try
        {
            stop.SetResult(await StopCoreAsync(grace, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            stop.SetException(e);
        }
    }

    private async Task<QemuStopMethod> StopCoreAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var method = QemuStopMethod.AlreadyExited;
        try
        {
            if (!HasExited)
            {
                method = QemuStopMethod.Quit;
                if (!await QuitAsync(grace, cancellationToken).ConfigureAwait(false))
                {
                    method = QemuStopMethod.Terminated;
                    if (cancellationToken.IsCancellationRequested
                        || (_process is null && QemuStateFile.ReadStartTime(ProcessId) != _attachedStartTime)
                        || !NativeMethods.TrySendSignal(ProcessId, NativeMethods.SIGTERM)
                        || !await WaitAsync(_exited, grace, cancellationToken).ConfigureAwait(false))
                    {
                        method = QemuStopMethod.Killed;
                    }
                }
            }
        }
        finally
        {
            if (method == QemuStopMethod.Killed || !HasExited)
            {
                await KillAsync().ConfigureAwait(false);
            }
            else
            {
                await CleanUpAsync().ConfigureAwait(false);
            }
        }

        return method;
    }

    /// <summary>Sends <c>quit</c> and waits for the exit, both within <paramref name="grace"/>.</summary>
    private async Task<bool> QuitAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(grace);
        if (_client is { IsConnected: true } client)
        {
            try
            {
                await client.ExecuteAsync("quit", null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is QmpException or OperationCanceledException or InvalidOperationException)
            {
                // The monitor is gone or frozen: the wait below decides.
            }
        }

        try
        {
            await _exited.WaitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills the process if it still runs, waits for it to be gone, then cleans up. Never throws.</summary>
    private async Task KillAsync()
    {
        try
        {
            if (!HasExited)
            {
                if (_process is not null)
                {
                    _process.Kill(entireProcessTree: false);
                }
                else if (QemuStateFile.ReadStartTime(ProcessId) == _attachedStartTime)
                {
                    NativeMethods.TrySendSignal(ProcessId, NativeMethods.SIGKILL);
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited meanwhile.
        }

        await WaitAsync(_exited, s_killWait, CancellationToken.None).ConfigureAwait(false);
        await CleanUpAsync().ConfigureAwait(false);
    }

    private async Task CleanUpAsync()
    {
        if (_client is { } client)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        QemuOwnerBinding.Unbind(this);
        try
        {
            _process?.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe is already closed.
        }

        if (SocketDirectory is not null)
        {
            ReleaseDirectory(SocketDirectory, _ownsDirectory, ExtraMonitors.Keys);
        }

        if (HasExited)
        {
            _process?.Dispose();
            _released.Dispose();
        }
    }

    private async Task<int> WatchExitAsync()
    {
        await _process!.WaitForExitAsync().ConfigureAwait(false);

        // The pipes end with the process; wait briefly so Stderr holds everything it wrote (a child that inherited them
        // could keep them open, hence the bound).
        await WaitAsync(Task.WhenAll(_stderrPump, _stdoutPump), TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
        return _process.ExitCode;
    }

    private async Task PumpStderrAsync(StreamReader reader)
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                lock (_stderr)
                {
                    var room = MaxCapturedStderrChars - _stderr.Length;
                    if (room > 0)
                    {
                        _stderr.Append(buffer, 0, Math.Min(read, room));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe closed.
        }
    }

    private static async Task DrainAsync(Stream stream)
    {
        try
        {
            await stream.CopyToAsync(Stream.Null).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe closed.
        }
    }
}
