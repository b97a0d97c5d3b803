using System.Diagnostics;
using System.Text.Json;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>End-to-end typed flows against each real QEMU.</summary>
[TestFixtureSource(typeof(Qemus), nameof(Qemus.All))]
[Category("RealQemu")]
[CancelAfter(120_000)]
public class TypedFlowTests(QemuUnderTest qemu)
{
    [Test]
    public async Task Stop_cont_reset_and_quit_run_typed_with_their_typed_events()
    {
        await using var process = await qemu.StartAsync();
        var client = process.Client;

        var status = await client.Commands.QueryStatusAsync();
        Assert.That(status.Status, Is.EqualTo(RunState.Prelaunch));

        var resumed = client.WaitForEventAsync<ResumeEvent>();
        await client.Commands.ContAsync();
        Assert.That(await resumed.WaitAsync(TimeSpan.FromSeconds(10)), Is.TypeOf<ResumeEvent>());
        Assert.That((await client.Commands.QueryStatusAsync()).Status, Is.EqualTo(RunState.Running));

        var stopped = client.WaitForEventAsync<StopEvent>();
        await client.Commands.StopAsync();
        await stopped.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((await client.Commands.QueryStatusAsync()).Running, Is.False);

        var reset = client.WaitForEventAsync<ResetEvent>(r => !r.Guest);
        await client.Commands.SystemResetAsync();
        var resetEvent = await reset.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(resetEvent.Reason, Is.EqualTo(ShutdownCause.HostQmpSystemReset));

        var version = await client.Commands.QueryVersionAsync();
        Assert.That($"{version.Qemu.Major}.{version.Qemu.Minor}", Is.EqualTo(qemu.Label == "10.0" ? "10.0" : "7.2"));

        var shutdown = client.WaitForEventAsync<ShutdownEvent>();
        try
        {
            await client.Commands.QuitAsync();
        }
        catch (QmpConnectionClosedException)
        {
            // QEMU may close the socket before its answer is read (docs: "quit").
        }

        var e = await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(e.Reason, Is.EqualTo(ShutdownCause.HostQmpQuit));
        Assert.That(e.Event.Name, Is.EqualTo("SHUTDOWN"));
    }

    [TestCase(false, TestName = "System_powerdown_of_a_paused_pc_gives_a_typed_POWERDOWN_and_no_SHUTDOWN")]
    [TestCase(true, TestName = "System_powerdown_of_a_running_pc_without_an_OS_gives_a_typed_POWERDOWN_and_no_SHUTDOWN")]
    public async Task System_powerdown_gives_POWERDOWN_only(bool running)
    {
        // -machine pc: an ACPI power button. Paused (-S) nothing runs; running, SeaBIOS runs but finds no OS. Either way
        // nothing acts on the button: QEMU sends POWERDOWN (before its answer), and the machine keeps its state.
        await using var process = await qemu.StartAsync("-machine", "pc");
        var client = process.Client;
        if (running)
        {
            var resumed = client.WaitForEventAsync<ResumeEvent>();
            await client.Commands.ContAsync();
            await resumed.WaitAsync(TimeSpan.FromSeconds(10));
        }

        using var events = client.SubscribeEvents(e => e.Name is "POWERDOWN" or "SHUTDOWN");
        var powerdown = client.WaitForEventAsync<PowerdownEvent>();
        await client.Commands.SystemPowerdownAsync();

        var e = await powerdown.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(e.Event.Name, Is.EqualTo("POWERDOWN"));
        Assert.That((await client.Commands.QueryStatusAsync()).Status, Is.EqualTo(running ? RunState.Running : RunState.Prelaunch));

        // The first SHUTDOWN is the one quit causes: the power button did not shut the machine down.
        try
        {
            await client.Commands.QuitAsync();
        }
        catch (QmpConnectionClosedException)
        {
            // QEMU may close the socket before its answer is read (docs: "quit").
        }

        Assert.That((await events.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Decode(), Is.TypeOf<PowerdownEvent>());
        var shutdown = (await events.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Decode();
        Assert.That(shutdown, Is.TypeOf<ShutdownEvent>().With.Property(nameof(ShutdownEvent.Reason)).EqualTo(ShutdownCause.HostQmpQuit)
            .And.Property(nameof(ShutdownEvent.Guest)).False);
    }

    [Test]
    public async Task Blockdev_add_of_a_qcow2_image_and_a_null_co_node_shows_in_query_named_block_nodes()
    {
        var dir = Directory.CreateTempSubdirectory("qapi-flow-");
        try
        {
            var image = Path.Combine(dir.FullName, "disk.qcow2");
            QemuImg("create", "-f", "qcow2", image, "64M");
            await using var process = await qemu.StartAsync();
            var commands = process.Client.Commands;

            await commands.BlockdevAddAsync(new BlockdevOptions.Qcow2Branch { NodeName = "disk0", File = new BlockdevOptions.FileBranch { Filename = image } });
            await commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null0", Size = 1 << 20 });

            var nodes = await commands.QueryNamedBlockNodesAsync(new QueryNamedBlockNodesArguments { Flat = true });
            Assert.That(nodes.Select(n => n.NodeName), Does.Contain("disk0").And.Contain("null0"));
            var disk = nodes.Single(n => n.NodeName == "disk0");
            Assert.That(disk.Drv, Is.EqualTo("qcow2"));
            Assert.That(disk.Image.VirtualSize, Is.EqualTo(64L << 20));
            Assert.That(disk.Image.FormatSpecific, Is.TypeOf<ImageInfoSpecific.Qcow2Branch>());

            await commands.BlockdevDelAsync(new BlockdevDelArguments { NodeName = "null0" });
            Assert.That((await commands.QueryNamedBlockNodesAsync(new QueryNamedBlockNodesArguments { Flat = true })).Select(n => n.NodeName), Does.Not.Contain("null0"));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public async Task A_blockdev_mirror_job_runs_through_JOB_STATUS_CHANGE_to_completion()
    {
        var dir = Directory.CreateTempSubdirectory("qapi-mirror-");
        try
        {
            var source = Path.Combine(dir.FullName, "src.qcow2");
            var target = Path.Combine(dir.FullName, "tgt.qcow2");
            QemuImg("create", "-f", "qcow2", source, "64M");
            QemuImg("create", "-f", "qcow2", target, "64M");
            await using var process = await qemu.StartAsync();
            var client = process.Client;
            await client.Commands.BlockdevAddAsync(new BlockdevOptions.Qcow2Branch { NodeName = "src", File = new BlockdevOptions.FileBranch { Filename = source } });
            await client.Commands.BlockdevAddAsync(new BlockdevOptions.Qcow2Branch { NodeName = "tgt", File = new BlockdevOptions.FileBranch { Filename = target } });

            using var events = client.SubscribeEvents(e => e.Name is "JOB_STATUS_CHANGE" or "BLOCK_JOB_READY" or "BLOCK_JOB_COMPLETED");
            await client.Commands.BlockdevMirrorAsync(new BlockdevMirrorArguments { JobId = "job0", Device = "src", Target = "tgt", Sync = MirrorSyncMode.Full });

            var statuses = new List<JobStatus>();
            var readySeen = false;
            var completed = false;
            while (statuses.Count == 0 || statuses[^1] != JobStatus.Null)
            {
                switch ((await events.ReadAsync()).Decode())
                {
                    case JobStatusChangeEvent change:
                        Assert.That(change.Id, Is.EqualTo("job0"));
                        statuses.Add(change.Status);
                        if (change.Status == JobStatus.Ready)
                        {
                            await client.Commands.JobCompleteAsync(new JobCompleteArguments { Id = "job0" });
                        }

                        break;
                    case BlockJobReadyEvent ready:
                        Assert.That(ready.Device, Is.EqualTo("job0"));
                        readySeen = true;
                        break;
                    case BlockJobCompletedEvent done:
                        Assert.That(done.Type, Is.EqualTo(JobType.Mirror));
                        Assert.That(done.Error, Is.Null);
                        completed = true;
                        break;
                    case UnknownQapiEvent unknown:
                        Assert.Fail("undecoded event " + unknown.Event + ": " + unknown.DecodeError);
                        break;
                }
            }

            Assert.That(statuses, Is.EqualTo(new[] { JobStatus.Created, JobStatus.Running, JobStatus.Ready, JobStatus.Waiting, JobStatus.Pending, JobStatus.Concluded, JobStatus.Null }));
            Assert.That(readySeen && completed, Is.True);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public async Task Object_add_creates_an_iothread()
    {
        await using var process = await qemu.StartAsync();
        var commands = process.Client.Commands;

        await commands.ObjectAddAsync(new ObjectOptions.IothreadBranch { Id = "io0", PollMaxNs = 1000 });

        var threads = await commands.QueryIothreadsAsync();
        Assert.That(threads.Select(t => t.Id), Is.EqualTo(new[] { "io0" }));
        Assert.That(threads[0].PollMaxNs, Is.EqualTo(1000));
    }

    [Test]
    public async Task Device_add_and_device_del_of_a_usb_disk_raise_DEVICE_DELETED()
    {
        await using var process = await qemu.StartAsync("-machine", "pc", "-device", "qemu-xhci,id=xhci");
        var client = process.Client;
        await client.Commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "usbdisk" });

        await client.Commands.DeviceAddAsync(new DeviceAddArguments
        {
            Driver = "usb-storage",
            Id = "usb0",
            Bus = "xhci.0",
            Properties = new() { ["drive"] = "usbdisk" },
        });
        var deleted = client.WaitForEventAsync<DeviceDeletedEvent>(d => d.Device == "usb0");
        await client.Commands.DeviceDelAsync(new DeviceDelArguments { Id = "usb0" });

        var e = await deleted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(e.Path, Does.EndWith("usb0"));
    }

    [Test]
    public async Task An_out_of_band_command_runs_typed()
    {
        await using var process = await qemu.StartAsync();

        var yank = await process.Client.Commands.QueryYankAsync(outOfBand: true);

        Assert.That(yank, Is.Not.Null);
    }

    private static void QemuImg(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("qemu-img", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, p.StandardError.ReadToEnd());
    }
}
