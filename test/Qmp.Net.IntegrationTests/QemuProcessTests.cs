using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>QemuProcess against the real qemu-system-x86_64: start-up, failures, and stopping without leaving anything behind.</summary>
[CancelAfter(30_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class QemuProcessTests
{
    [Test]
    public async Task Start_then_stop_leaves_no_process_and_no_directory(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var processesBefore = QemuFixture.CountChildQemuProcesses();
        var directoriesBefore = QemuFixture.CountSocketDirectories();

        var qemu = await QemuFixture.StartAsync();
        var directory = qemu.SocketDirectory!;
        Assert.That(QemuFixture.CountChildQemuProcesses(), Is.EqualTo(processesBefore + 1));
        Assert.That(QemuFixture.CountSocketDirectories(), Is.EqualTo(directoriesBefore + 1));
        Assert.That(File.GetUnixFileMode(directory), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(qemu.Endpoint, Is.EqualTo(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock"))));
        Assert.That(qemu.HasExited, Is.False);

        var method = await qemu.StopAsync(TimeSpan.FromSeconds(5), cancellationToken);

        Assert.That(method, Is.EqualTo(QemuStopMethod.Quit));
        Assert.That(qemu.HasExited, Is.True);
        Assert.That(await qemu.Exited.WaitAsync(cancellationToken), Is.Zero);
        Assert.That(Directory.Exists(directory), Is.False);
        Assert.That(QemuFixture.CountChildQemuProcesses(), Is.EqualTo(processesBefore));
        Assert.That(QemuFixture.CountSocketDirectories(), Is.EqualTo(directoriesBefore));
        Assert.That(qemu.Client.State, Is.EqualTo(QmpState.Disconnected));
    }

    [Test]
    public void Await_using_stops_QEMU_when_the_callers_code_throws(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var processesBefore = QemuFixture.CountChildQemuProcesses();
        var directoriesBefore = QemuFixture.CountSocketDirectories();
        QemuProcess? started = null;

        Assert.That(
            async () =>
            {
                await using var qemu = await QemuFixture.StartAsync();
                started = qemu;
                await qemu.Client.ExecuteAsync("no-such-command", cancellationToken: cancellationToken);
            },
            Throws.TypeOf<QmpErrorException>());

        Assert.That(started, Is.Not.Null);
        Assert.That(started!.HasExited, Is.True);
        Assert.That(Directory.Exists(started.SocketDirectory), Is.False);
        Assert.That(QemuFixture.CountChildQemuProcesses(), Is.EqualTo(processesBefore));
        Assert.That(QemuFixture.CountSocketDirectories(), Is.EqualTo(directoriesBefore));
    }

    [Test]
    public void An_unknown_machine_raises_QemuStartException_with_exit_code_and_stderr(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var processesBefore = QemuFixture.CountChildQemuProcesses();
        var directoriesBefore = QemuFixture.CountSocketDirectories();

        var options = new QemuStartOptions { Arguments = ["-machine", "no-such-machine", "-nodefaults", "-display", "none"] };

        Assert.That(
            async () => await QemuProcess.StartAsync(options, cancellationToken),
            Throws.TypeOf<QemuStartException>()
                .With.Property(nameof(QemuStartException.ExitCode)).EqualTo(1)
                .And.Property(nameof(QemuStartException.Stderr)).Contains("unsupported machine type")
                .And.Message.Contains("exited with code 1"));
        Assert.That(QemuFixture.CountChildQemuProcesses(), Is.EqualTo(processesBefore));
        Assert.That(QemuFixture.CountSocketDirectories(), Is.EqualTo(directoriesBefore));
    }

    [Test]
    public void Stderr_is_captured_under_a_context_that_never_runs_posted_work(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var options = new QemuStartOptions { Arguments = ["-machine", "no-such-machine", "-nodefaults", "-display", "none"] };

        // The stderr pump must not wait for the caller's context: QEMU's reason for exiting would be lost.
        Assert.That(
            async () => await StartUnderBlackHoleAsync(options, cancellationToken),
            Throws.TypeOf<QemuStartException>()
                .With.Property(nameof(QemuStartException.ExitCode)).EqualTo(1)
                .And.Property(nameof(QemuStartException.Stderr)).Contains("unsupported machine type"));
    }

    [Test]
    public void Stdout_is_drained_under_a_context_that_never_runs_posted_work(CancellationToken cancellationToken)
    {
        QemuFixture.Require();

        // `-trace help` writes about 100 KB to stdout and exits with 0: more than a pipe holds (64 KiB), so QEMU exits only
        // when something reads its stdout. Undrained, it blocks in write() and start-up times out instead.
        var options = new QemuStartOptions
        {
            Arguments = ["-trace", "help", "-machine", "none", "-nodefaults", "-display", "none"],
            StartTimeout = TimeSpan.FromSeconds(5),
        };

        Assert.That(
            async () => await StartUnderBlackHoleAsync(options, cancellationToken),
            Throws.TypeOf<QemuStartException>()
                .With.Property(nameof(QemuStartException.ExitCode)).EqualTo(0)
                .And.Message.Contains("exited with code 0"));
    }

    [Test]
    public async Task Starting_and_stopping_work_under_a_context_that_never_runs_posted_work(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var blackHole = new BlackHoleContext();
        var options = new QemuStartOptions { Arguments = [.. QemuFixture.MonitorOnly] };

        var qemu = await StartUnderBlackHoleAsync(options, cancellationToken, blackHole);
        QemuFixture.Track(qemu);
        var status = await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        Task<QemuStopMethod> stop;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(blackHole);
        try
        {
            stop = qemu.StopAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        Assert.That(await stop.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken), Is.EqualTo(QemuStopMethod.Quit));
        Assert.That(blackHole.Posted, Is.Zero, "nothing of QemuProcess may be posted to the caller's context");
    }

    [Test]
    public void A_monitor_that_never_answers_raises_QemuStartException_not_a_bare_timeout(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var processesBefore = QemuFixture.CountChildQemuProcesses();
        var directory = QemuFixture.CreatePrivateDirectory();
        try
        {
            // QEMU listens on one socket while the client is told to connect to another that never appears.
            var options = new QemuStartOptions
            {
                Arguments = [.. QemuFixture.MonitorOnly, "-qmp", $"unix:{Path.Combine(directory, "real.sock")},server=on,wait=off"],
                Endpoint = QmpEndpoint.Unix(Path.Combine(directory, "elsewhere.sock")),
                StartTimeout = TimeSpan.FromMilliseconds(500),
            };

            Assert.That(
                async () => await QemuProcess.StartAsync(options, cancellationToken),
                Throws.TypeOf<QemuStartException>()
                    .With.Property(nameof(QemuStartException.ExitCode)).Null
                    .And.Message.Contains("was not ready within")
                    .And.InnerException.TypeOf<QmpConnectionException>());
            Assert.That(QemuFixture.CountChildQemuProcesses(), Is.EqualTo(processesBefore), "the QEMU that never answered is killed");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void A_missing_binary_raises_QemuStartException_naming_the_package(CancellationToken cancellationToken)
    {
        var options = new QemuStartOptions { Binary = "/nonexistent/qemu-system-x86_64" };

        Assert.That(
            async () => await QemuProcess.StartAsync(options, cancellationToken),
            Throws.TypeOf<QemuStartException>()
                .With.Message.Contains("apt-get install qemu-system-x86")
                .And.Property(nameof(QemuStartException.ExitCode)).Null);
    }

    [Test]
    public void Arguments_with_their_own_monitor_but_no_endpoint_are_refused(CancellationToken cancellationToken)
    {
        var options = new QemuStartOptions { Arguments = ["-qmp", "unix:/tmp/x.sock,server=on,wait=off"] };

        Assert.That(
            async () => await QemuProcess.StartAsync(options, cancellationToken),
            Throws.ArgumentException.With.Message.Contains("QemuStartOptions.Endpoint"));
    }

    [Test]
    public async Task Stop_escalates_to_SIGKILL_when_QEMU_is_frozen(CancellationToken cancellationToken)
    {
        var qemu = await QemuFixture.StartAsync();
        var directory = qemu.SocketDirectory!;

        // A stopped process cannot answer quit, nor act on SIGTERM; only SIGKILL ends it.
        await QemuFixture.RunAsync("kill", "-STOP", qemu.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var method = await qemu.StopAsync(TimeSpan.FromMilliseconds(300), cancellationToken);

        Assert.That(method, Is.EqualTo(QemuStopMethod.Killed));
        Assert.That(await qemu.Exited, Is.EqualTo(128 + 9), "the exit status of a process killed by SIGKILL");
        Assert.That(Directory.Exists(directory), Is.False);
        Assert.That(() => Process.GetProcessById(qemu.ProcessId).HasExited, Throws.ArgumentException.Or.True);
    }

    [Test]
    public async Task Stop_sends_SIGTERM_when_the_monitor_cannot_quit(CancellationToken cancellationToken)
    {
        var qemu = await QemuFixture.StartAsync();

        // Without its QMP connection QEMU gets no quit; it still ends on SIGTERM.
        qemu.Client.Abort();
        var method = await qemu.StopAsync(TimeSpan.FromSeconds(5), cancellationToken);

        Assert.That(method, Is.EqualTo(QemuStopMethod.Terminated));
        Assert.That(qemu.HasExited, Is.True);
        Assert.That(qemu.Stderr, Does.Contain("terminating on signal 15"));
    }

    [Test]
    public async Task Stop_runs_no_user_code_and_writes_nothing_under_its_lock(CancellationToken cancellationToken)
    {
        // The client logs "Sent QMP command quit" on the thread that writes quit. That logger (user code) asks another
        // thread to call StopAsync and waits a moment for it: if the first StopAsync held its lock while sending quit,
        // the second one could not even return its task.
        var logger = new ProbeLoggerFactory();
        var qemu = await QemuFixture.StartAsync(QmpClientOptions.Default with { LoggerFactory = logger }, null);
        bool? secondReturned = null;
        logger.OnCommandSent = command =>
        {
            if (command == "quit" && secondReturned is null)
            {
                var second = Task.Run(() => qemu.StopAsync(TimeSpan.FromSeconds(5)).IsCompleted, CancellationToken.None);
                secondReturned = second.Wait(TimeSpan.FromSeconds(2), CancellationToken.None);
            }
        };

        var method = await qemu.StopAsync(TimeSpan.FromSeconds(5), cancellationToken);

        Assert.That(secondReturned, Is.True, "a second StopAsync returned while the first one was sending quit");
        Assert.That(method, Is.EqualTo(QemuStopMethod.Quit));
        Assert.That(await qemu.StopAsync(TimeSpan.FromSeconds(5), cancellationToken), Is.EqualTo(QemuStopMethod.Quit), "a later stop returns the first stop's outcome");
    }

    [Test]
    public async Task Cancelling_a_stop_kills_QEMU_at_once(CancellationToken cancellationToken)
    {
        var qemu = await QemuFixture.StartAsync();
        await QemuFixture.RunAsync("kill", "-STOP", qemu.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var cancel = new CancellationTokenSource();
        var stop = qemu.StopAsync(TimeSpan.FromMinutes(10), cancel.Token);

        await cancel.CancelAsync();

        Assert.That(async () => await stop.WaitAsync(cancellationToken), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(qemu.HasExited, Is.True);
        Assert.That(await qemu.Exited, Is.EqualTo(128 + 9));
    }

    [Test]
    public async Task Qemu_storage_daemon_gets_its_monitor_through_chardev_and_monitor(CancellationToken cancellationToken)
    {
        var options = new QemuStartOptions { Binary = "qemu-storage-daemon" };
        QemuProcess qemu;
        try
        {
            qemu = await QemuProcess.StartAsync(options, cancellationToken);
        }
        catch (QemuStartException e) when (e.ExitCode is null && e.Message.Contains("not found", StringComparison.Ordinal))
        {
            Assert.Ignore("qemu-storage-daemon is not installed (sudo apt-get install qemu-system-common).");
            return;
        }

        QemuFixture.Track(qemu);
        await using (qemu)
        {
            var commands = await qemu.Client.ExecuteAsync("query-commands", cancellationToken: cancellationToken);
            Assert.That(commands.EnumerateArray().Select(c => c.GetProperty("name").GetString()), Does.Contain("blockdev-add").And.Not.Contain("cont"));
        }

        Assert.That(qemu.HasExited, Is.True);
        Assert.That(Directory.Exists(qemu.SocketDirectory), Is.False);
    }

    /// <summary>Calls <see cref="QemuProcess.StartAsync"/> from a thread whose SynchronizationContext swallows everything
    /// posted to it (a UI thread that is blocked, or busy), then waits for it from outside, bounded.</summary>
    private static async Task<QemuProcess> StartUnderBlackHoleAsync(QemuStartOptions options, CancellationToken cancellationToken, BlackHoleContext? blackHole = null)
    {
        Task<QemuProcess> start;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(blackHole ?? new BlackHoleContext());
        try
        {
            start = QemuProcess.StartAsync(options, cancellationToken);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        return await start.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
    }

    /// <summary>A logger factory that calls <see cref="OnCommandSent"/>, synchronously, for every command the client logs as sent.</summary>
    private sealed class ProbeLoggerFactory : ILoggerFactory, ILogger
    {
        public Action<string>? OnCommandSent { get; set; }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            const string prefix = "Sent QMP command ";
            var message = formatter(state, exception);
            if (eventId.Id == QmpEventId.CommandSent && message.StartsWith(prefix, StringComparison.Ordinal))
            {
                OnCommandSent?.Invoke(message[prefix.Length..]);
            }
        }
    }

    /// <summary>A SynchronizationContext that never runs what is posted to it.</summary>
    private sealed class BlackHoleContext : SynchronizationContext
    {
        private int _posted;

        public int Posted => Volatile.Read(ref _posted);

        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posted);

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();
    }
}
