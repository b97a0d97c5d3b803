namespace Qmp.Net.IntegrationTests;

/// <summary>Issue 18: what happens to the QEMU a program started when that program is signalled, killed or exits, seen from
/// outside with a real owner program (test/Qmp.Net.OwnerProgram) and a real QEMU.</summary>
[CancelAfter(120_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OwnerLifetimeTests
{
    private static readonly TimeSpan s_qemuGone = TimeSpan.FromSeconds(15);

    [TestCase(OwnerProgram.SIGTERM)]
    [TestCase(OwnerProgram.SIGINT)]
    [TestCase(OwnerProgram.SIGHUP)]
    public async Task A_signal_to_the_owner_stops_its_QEMU_and_removes_the_directory(int signal)
    {
        QemuFixture.Require();
        await using var owner = await OwnerProgram.StartAsync("start", QemuFixture.Binary);
        var (pid, directory) = owner.Started;
        using var qemu = ProcessWatch.Open(pid);
        Assert.That(qemu.ParentPid, Is.EqualTo(owner.ProcessId), "QEMU is the owner's child");
        Assert.That(Directory.Exists(directory), Is.True);

        owner.Signal(signal);
        var exitCode = await owner.WaitForExitAsync();
        var gone = await qemu.WaitForExitAsync(s_qemuGone);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(128 + signal), "the owner still dies of the signal (nothing cancelled it)");
            Assert.That(gone, Is.True, $"QEMU (pid {pid}) still runs {s_qemuGone.TotalSeconds} s after its owner got signal {signal}; its parent is now {qemu.ParentPid}");
            Assert.That(Directory.Exists(directory), Is.False, $"the private directory {directory} is removed");
        });
    }

    [Test]
    public async Task SIGKILL_of_the_owner_makes_the_kernel_stop_its_QEMU()
    {
        QemuFixture.Require();
        await using var owner = await OwnerProgram.StartAsync("start", QemuFixture.Binary);
        var (pid, directory) = owner.Started;
        using var qemu = ProcessWatch.Open(pid);
        try
        {
            owner.Signal(OwnerProgram.SIGKILL);
            var exitCode = await owner.WaitForExitAsync();
            var gone = await qemu.WaitForExitAsync(s_qemuGone);

            Assert.That(exitCode, Is.EqualTo(128 + OwnerProgram.SIGKILL));
            Assert.That(gone, Is.True, $"QEMU (pid {pid}) still runs {s_qemuGone.TotalSeconds} s after its owner was killed; its parent is now {qemu.ParentPid}");
        }
        finally
        {
            // Documented: nothing of the owner runs after SIGKILL, so its (empty) private directory stays.
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Test]
    public async Task A_normal_exit_of_the_owner_stops_the_QEMU_it_did_not_dispose()
    {
        QemuFixture.Require();
        await using var owner = await OwnerProgram.StartAsync("exit", QemuFixture.Binary);
        var (pid, directory) = owner.Started;
        using var qemu = ProcessWatch.Open(pid);

        await owner.WriteLineAsync("go");
        var exitCode = await owner.WaitForExitAsync();
        var gone = await qemu.WaitForExitAsync(s_qemuGone);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero);
            Assert.That(gone, Is.True, $"QEMU (pid {pid}) still runs after its owner returned from Main; its parent is now {qemu.ParentPid}");
            Assert.That(Directory.Exists(directory), Is.False, $"the private directory {directory} is removed");
        });
    }

    [TestCase(OwnerProgram.SIGTERM)]
    [TestCase(OwnerProgram.SIGKILL)]
    public async Task A_detached_QEMU_outlives_its_owner_and_a_restarted_owner_attaches_and_stops_it(int signal)
    {
        QemuFixture.Require();
        var state = Path.Combine(Path.GetTempPath(), "qmp-net-state-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            int pid;
            ProcessWatch qemu;
            await using (var first = await OwnerProgram.StartAsync("start", QemuFixture.Binary, state))
            {
                pid = first.Started.Pid;
                Assert.That(first.Started.Directory, Is.EqualTo(state));
                qemu = ProcessWatch.Open(pid);
                first.Signal(signal);
                Assert.That(await first.WaitForExitAsync(), Is.EqualTo(128 + signal));
            }

            using (qemu)
            {
                // Nothing to await for "still runs": a short bounded look that must come back empty.
                Assert.That(await qemu.WaitForExitAsync(TimeSpan.FromSeconds(1)), Is.False, "the detached QEMU outlived its owner");
                Assert.That(File.GetUnixFileMode(state), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
                Assert.That(File.Exists(Path.Combine(state, "qmp.sock")), Is.True);

                await using var second = await OwnerProgram.StartAsync("attach", state);
                var attached = second.FirstLine;
                var stopped = await second.ReadLineAsync();

                Assert.Multiple(() =>
                {
                    Assert.That(attached, Is.EqualTo($"attached {pid} prelaunch []"));
                    Assert.That(stopped, Is.EqualTo("stopped Quit"));
                });
                Assert.That(await second.WaitForExitAsync(), Is.Zero);
                Assert.That(await qemu.WaitForExitAsync(s_qemuGone), Is.True, "the attached QEMU was stopped");
                Assert.That(Directory.EnumerateFileSystemEntries(state), Is.Empty, "the state files are removed, the caller's directory stays");
            }
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
