using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>Issue 18 in one process with a real QEMU: extra monitors, state directories, attach refusals.</summary>
[CancelAfter(60_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class QemuProcessLifecycleTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Test]
    public async Task An_extra_monitor_listens_in_the_same_private_directory_and_answers_beside_the_managed_one(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Binary = QemuFixture.Binary,
            Arguments = QemuFixture.MonitorOnly,
            ExtraMonitors = ["debug", "tool"],
        }, cancellationToken);
        QemuFixture.Track(qemu);
        var directory = qemu.SocketDirectory!;

        Assert.That(qemu.ExtraMonitors.Keys, Is.EquivalentTo(new[] { "debug", "tool" }));
        Assert.That(qemu.ExtraMonitors["debug"], Is.EqualTo(QmpEndpoint.Unix(Path.Combine(directory, "debug.sock"))));
        Assert.That(File.GetUnixFileMode(directory), Is.EqualTo(Private));
        await using (var debug = await QmpClient.ConnectAsync(qemu.ExtraMonitors["debug"], cancellationToken: cancellationToken))
        {
            await qemu.Client.ExecuteAsync("cont", cancellationToken: cancellationToken);
            var status = await debug.ExecuteAsync("query-status", cancellationToken: cancellationToken);
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"), "the extra monitor sees the managed monitor's change");
        }

        Assert.That(await qemu.StopAsync(TimeSpan.FromSeconds(5), cancellationToken), Is.EqualTo(QemuStopMethod.Quit));
        Assert.That(Directory.Exists(directory), Is.False);
    }

    [Test]
    public void Bad_extra_monitor_names_and_a_detached_QEMU_without_a_state_directory_are_refused()
    {
        QemuFixture.Require();
        var options = new QemuStartOptions { Binary = QemuFixture.Binary, Arguments = QemuFixture.MonitorOnly };

        Assert.Multiple(() =>
        {
            Assert.That(() => QemuProcess.StartAsync(options with { ExtraMonitors = ["a/b"] }), Throws.ArgumentException.With.Message.Contains("'a/b' is not valid"));
            Assert.That(() => QemuProcess.StartAsync(options with { ExtraMonitors = ["qmp"] }), Throws.ArgumentException.With.Message.Contains("taken"));
            Assert.That(() => QemuProcess.StartAsync(options with { ExtraMonitors = ["x", "x"] }), Throws.ArgumentException.With.Message.Contains("taken"));
            Assert.That(() => QemuProcess.StartAsync(options with { Lifetime = QemuLifetime.Detached }), Throws.ArgumentException.With.Message.Contains("StateDirectory"));
        });
    }

    [Test]
    public async Task Attach_refuses_a_state_directory_whose_QEMU_has_exited_and_one_that_still_runs_cannot_be_started_twice(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var state = Path.Combine(Path.GetTempPath(), "qmp-net-state-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var options = new QemuStartOptions
            {
                Binary = QemuFixture.Binary,
                Arguments = QemuFixture.MonitorOnly,
                Lifetime = QemuLifetime.Detached,
                StateDirectory = state,
                ExtraMonitors = ["debug"],
            };
            var qemu = await QemuProcess.StartAsync(options, cancellationToken);
            QemuFixture.Track(qemu);
            var saved = File.ReadAllText(Path.Combine(state, "qemu.json"));

            Assert.That(() => QemuProcess.StartAsync(options, cancellationToken), Throws.ArgumentException.With.Message.Contains("still runs"));

            // Disposing a detached QEMU lets go of it; attaching finds the same process with its extra monitor.
            await qemu.DisposeAsync();
            var attached = await QemuProcess.AttachAsync(state, cancellationToken: cancellationToken);
            QemuFixture.Track(attached);
            Assert.Multiple(() =>
            {
                Assert.That(attached.ProcessId, Is.EqualTo(qemu.ProcessId));
                Assert.That(attached.Lifetime, Is.EqualTo(QemuLifetime.Detached));
                Assert.That(attached.Attachment!.Status, Is.EqualTo("prelaunch"));
                Assert.That(attached.Attachment.Running, Is.False);
                Assert.That(attached.ExtraMonitors["debug"], Is.EqualTo(QmpEndpoint.Unix(Path.Combine(state, "debug.sock"))));
            });

            Assert.That(await attached.StopAsync(TimeSpan.FromSeconds(5), cancellationToken), Is.EqualTo(QemuStopMethod.Quit));
            Assert.That(await attached.Exited.WaitAsync(cancellationToken), Is.EqualTo(-1));
            Assert.That(() => QemuProcess.AttachAsync(state, cancellationToken: cancellationToken), Throws.TypeOf<QemuAttachException>().With.Message.Contains("holds no QEMU state file"));

            File.WriteAllText(Path.Combine(state, "qemu.json"), saved);
            Assert.That(() => QemuProcess.AttachAsync(state, cancellationToken: cancellationToken), Throws.TypeOf<QemuAttachException>().With.Message.Contains("no longer running"));
        }
        finally
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }
}
