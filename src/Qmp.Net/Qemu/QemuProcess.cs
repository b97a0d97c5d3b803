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

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly Task _stdoutPump;
    private readonly Task<int> _exited;
    private readonly TimeSpan _disposeGrace;
    private QmpClient? _client;
    private QmpVersion? _version;
    private Task<QemuStopMethod>? _stop;

    private QemuProcess(Process process, string binaryPath, string? socketDirectory, QmpEndpoint endpoint, TimeSpan disposeGrace)
    {
        _process = process;
        BinaryPath = binaryPath;
        SocketDirectory = socketDirectory;
        Endpoint = endpoint;
        _disposeGrace = disposeGrace;
        ProcessId = process.Id;

        // The pumps start on the thread pool, never on the caller's SynchronizationContext: a context that is blocked or
        // never runs posted work would otherwise lose QEMU's error text and leave QEMU blocked on a full pipe.
        var stderr = process.StandardError;
        var stdout = process.StandardOutput.BaseStream;
        _stderrPump = Task.Run(() => PumpStderrAsync(stderr), CancellationToken.None);
        _stdoutPump = Task.Run(() => DrainAsync(stdout), CancellationToken.None);
        _exited = WatchExitAsync();
    }

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
    /// arguments named their own monitor (<see cref="QemuStartOptions.Endpoint"/>). It is deleted when QEMU is stopped.</summary>
    public string? SocketDirectory { get; }

    /// <summary>Gets where the QMP monitor listens.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Gets a value indicating whether the QEMU process has exited.</summary>
    public bool HasExited => _exited.IsCompleted;

    /// <summary>Gets a task that completes with the process's exit code when QEMU exits, for whatever reason
    /// (a process ended by a signal reports 128 plus the signal number, e.g. 137 after SIGKILL).</summary>
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

        var binaryPath = ResolveBinary(options.Binary) ?? throw new QemuStartException(
            $"The QEMU binary '{options.Binary}' was not found{(options.Binary.Contains('/', StringComparison.Ordinal) ? string.Empty : " on PATH")}. " +
            $"On Debian or Ubuntu install it with: sudo apt-get install {PackageFor(options.Binary)}",
            null,
            string.Empty);

        string? directory = null;
        QmpListener? listener = null;
        var endpoint = options.Endpoint;
        var arguments = new List<string>(options.Arguments);
        if (endpoint is null)
        {
            directory = Directory.CreateTempSubdirectory("qmp-net-").FullName;
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var socket = Path.Combine(directory, SocketFileName);
            if (Encoding.UTF8.GetByteCount(socket) > MaxUnixSocketPathBytes)
            {
                TryDeleteDirectory(directory);
                throw new QemuStartException(
                    $"The monitor socket path '{socket}' is longer than a Unix socket path may be ({MaxUnixSocketPathBytes} bytes): set TMPDIR to a shorter directory.",
                    null,
                    string.Empty);
            }

            // QEMU's option syntax escapes a comma by doubling it.
            var quoted = socket.Replace(",", ",,", StringComparison.Ordinal);
            var accept = options.MonitorMode == QemuMonitorMode.Accept;
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

        var startInfo = new ProcessStartInfo(binaryPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new Win32Exception("Process.Start returned no process.");
        }
        catch (Win32Exception e)
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            if (directory is not null)
            {
                TryDeleteDirectory(directory);
            }

            throw new QemuStartException($"Could not run '{binaryPath}': {e.Message}", null, string.Empty, e);
        }

        var qemu = new QemuProcess(process, binaryPath, directory, endpoint, options.DisposeGrace);
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
    /// (2 seconds by default) per step. Never throws; idempotent.</summary>
    /// <returns>A task that completes when the process is gone and the directory deleted.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(_disposeGrace).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // StopAsync always ends the process before it throws; there is nothing more to do.
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
        // client that connects while the monitor is still being set up gets the greeting twice, sees the connection close
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
                _process.Kill(entireProcessTree: false);
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

        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe is already closed.
        }

        if (SocketDirectory is not null)
        {
            TryDeleteDirectory(SocketDirectory);
        }

        if (HasExited)
        {
            _process.Dispose();
        }
    }

    private async Task<int> WatchExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);

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
