using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>QemuProcess's monitor modes: accept (the default; QEMU connects to Qmp.Net's listener) and connect.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class QemuProcessAcceptTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task By_default_QEMU_connects_to_a_listener_whose_socket_file_is_gone_once_connected(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        var status = await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(qemu.ConnectionAttempts, Is.EqualTo(1));
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
            Assert.That(File.Exists(((QmpUnixEndpoint)qemu.Endpoint).Path), Is.False, "nobody else can connect to the monitor");
            Assert.That(Directory.Exists(qemu.SocketDirectory), Is.True);
        });
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Connect_mode_still_connects_to_a_listening_QEMU(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Binary = QemuFixture.Binary,
            Arguments = [.. QemuFixture.MonitorOnly],
            MonitorMode = QemuMonitorMode.Connect,
        }, cancellationToken);
        QemuFixture.Track(qemu);

        var status = await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        Assert.That(qemu.ConnectionAttempts, Is.GreaterThanOrEqualTo(1));
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [TestCase(QemuMonitorMode.Accept)]
    [TestCase(QemuMonitorMode.Connect)]
    [CancelAfter(30_000)]
    public async Task A_QEMU_that_exits_during_start_up_reports_its_stderr_in_either_mode(QemuMonitorMode mode, CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var start = QemuProcess.StartAsync(new QemuStartOptions
        {
            Binary = QemuFixture.Binary,
            Arguments = ["-machine", "no-such-machine", "-nodefaults", "-display", "none"],
            MonitorMode = mode,
        }, cancellationToken);

        var error = Assert.ThrowsAsync<QemuStartException>(async () => await start);
        Assert.That(error!.ExitCode, Is.Not.Null.And.Not.Zero);
        Assert.That(error.Stderr, Does.Contain("unsupported machine type"));
    }

    /// <summary>The accept wait's timer, on the real clock (QemuProcess has no TimeProvider): a "QEMU" that starts but never
    /// connects to the monitor socket must fail the start within StartTimeout, every time, and leave no process behind.</summary>
    [Test]
    [CancelAfter(60_000)]
    public async Task A_binary_that_never_connects_fails_the_start_after_StartTimeout_every_time(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        var script = Path.Combine(directory, "qemu-that-never-connects");
        await File.WriteAllTextAsync(script, "#!/bin/sh\nexec sleep 60\n", cancellationToken);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var before = QemuFixture.CountChildProcesses("sleep");

        var rounds = Enumerable.Range(0, 10).Select(async _ =>
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var error = await CatchAsync(QemuProcess.StartAsync(new QemuStartOptions { Binary = script, StartTimeout = TimeSpan.FromMilliseconds(300) }, cancellationToken));
            return (error, watch.Elapsed);
        });
        var results = await Task.WhenAll(rounds);

        foreach (var (error, elapsed) in results)
        {
            Assert.That(error, Is.TypeOf<QemuStartException>().With.Message.Contains("did not connect to its QMP monitor socket"));
            Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)).And.LessThan(TimeSpan.FromSeconds(20)));
        }

        Assert.That(QemuFixture.CountChildProcesses("sleep"), Is.EqualTo(before), "every process that never connected was killed");
        Directory.Delete(directory, recursive: true);
    }

    private static async Task<Exception?> CatchAsync(Task<QemuProcess> start)
    {
        try
        {
            await (await start).DisposeAsync();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task qemu_storage_daemon_connects_in_accept_mode(CancellationToken cancellationToken)
    {
        var daemon = QemuFixture.Find("qemu-storage-daemon");
        if (daemon is null)
        {
            Assert.Ignore("qemu-storage-daemon is not installed.");
        }

        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Binary = daemon! }, cancellationToken);

        var version = await qemu.Client.ExecuteAsync("query-version", cancellationToken: cancellationToken);
        Assert.That(qemu.ConnectionAttempts, Is.EqualTo(1));
        Assert.That(version.GetProperty("qemu").GetProperty("major").GetInt32(), Is.Positive);
    }

    /// <summary>The start-up race of QEMU 7.2 (a second greeting, a close after the greeting, or no answer to
    /// qmp_capabilities, about once in 150 starts with ten QEMUs at once) needs a reconnect in connect mode. In accept mode
    /// there is nothing to race: 300 starts, ten at a time, each negotiated on its first and only connection.</summary>
    [Test]
    [CancelAfter(600_000)]
    public async Task Three_hundred_starts_ten_at_a_time_need_no_retry_in_accept_mode(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var attempts = new List<int>();
        for (var batch = 0; batch < 30; batch++)
        {
            var started = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => QemuFixture.StartAsync()));
            try
            {
                foreach (var qemu in started)
                {
                    await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
                    attempts.Add(qemu.ConnectionAttempts);
                }
            }
            finally
            {
                await Task.WhenAll(started.Select(q => q.DisposeAsync().AsTask()));
            }
        }

        // Accept mode has no retry: a second greeting, a close after the greeting or an unanswered qmp_capabilities would
        // fail that start (and this test). So the check is that all 300 started and answered; the attempt count is 1 by
        // construction and is asserted only so that a retry added to accept mode later shows up here.
        Assert.That(attempts, Has.Count.EqualTo(300));
        Assert.That(attempts, Has.All.EqualTo(1));
    }
}
