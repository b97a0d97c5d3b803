using System.Diagnostics;
using System.Text.Json.Nodes;
using Qmp.Net;
using Qmp.Net.Devices;
using Qmp.Net.Fleet;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Qemu;

namespace Snippets;

/// <summary>The C# of the workflow how-to pages (docs/howto-block-job.md, howto-migrate.md, howto-snapshot.md,
/// howto-hotplug.md, howto-many-vms.md), run against the QEMU on PATH.</summary>
[CancelAfter(120_000)]
public sealed class WorkflowHowToSnippets
{
    private static readonly string[] EmptyMachine = ["-machine", "none", "-nodefaults", "-display", "none", "-S"];
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        Qemu.Require();
        _dir = Directory.CreateTempSubdirectory("workflow-snippets-").FullName;
    }

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Run_a_mirror_to_its_end_and_see_one_fail()
    {
        var disk = await CreateImageAsync("disk.qcow2", "16M");
        var copy = await CreateImageAsync("copy.qcow2", "16M");
        var small = await CreateImageAsync("small.qcow2", "1M");
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = EmptyMachine });
        var client = qemu.Client;
        await client.ExecuteAsync("blockdev-add", Node("disk0", disk));
        await client.ExecuteAsync("blockdev-add", Node("copy0", copy));
        await client.ExecuteAsync("blockdev-add", Node("small0", small));
        using var output = new ConsoleCapture();

        #region block-job
        // Create the manager first: it subscribes to the job events before any job starts.
        await using var jobs = new QmpJobManager(client);
        QmpJob mirror = await jobs.StartAsync("blockdev-mirror", new JsonObject
        {
            ["job-id"] = "mirror0", ["device"] = "disk0", ["target"] = "copy0", ["sync"] = "full",
        });

        await mirror.CompleteAsync();      // waits until the copy caught up (ready), then job-complete: copy0 takes over
        await mirror.Completion;           // concluded, its outcome read from query-jobs, dismissed
        Console.WriteLine($"{mirror.Id} ({mirror.Type}) ended: {mirror.Status}");
        #endregion

        #region block-job-failure
        // QEMU accepts the command, then the job fails: the error arrives on Completion, with QEMU's own text.
        QmpJob tooSmall = await jobs.StartAsync("blockdev-mirror", new JsonObject
        {
            ["job-id"] = "mirror1", ["device"] = "copy0", ["target"] = "small0", ["sync"] = "full",
        });
        try
        {
            await tooSmall.Completion;
        }
        catch (QmpJobException e)
        {
            Console.WriteLine($"job {e.JobId} ({e.JobType}) failed in {e.FinalStatus}: {e.QemuError}");
        }
        #endregion

        var lines = output.ToString();
        Assert.That(lines, Does.Contain("mirror0 (mirror) ended: Null"));
        Assert.That(lines, Does.Match(@"job mirror1 \(mirror\) failed in Concluded: .*size"));
    }

    [Test]
    public async Task Migrate_a_VM_between_two_QEMUs()
    {
        string[] machine = ["-machine", "pc-i440fx-7.2", "-m", "32", "-nodefaults", "-display", "none"];
        await using var sourceQemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = machine });
        await using var destinationQemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = [.. machine, "-incoming", "defer"] });
        var source = sourceQemu.Client;
        var destination = destinationQemu.Client;
        var socket = Path.Combine(_dir, "migration.sock");
        using var output = new ConsoleCapture();

        #region migrate
        // Both QEMUs run the same machine type (-machine pc-i440fx-7.2); the destination was started with -incoming defer.
        string uri = "unix:" + socket;
        await using QmpMigration incoming = await QmpMigration.StartIncomingAsync(destination, uri);
        await using QmpMigration outgoing = await QmpMigration.StartAsync(source, uri,
            new QmpMigrationOptions { DowntimeLimit = TimeSpan.FromMilliseconds(300) });

        try
        {
            QmpMigrationStatus sent = await outgoing.WaitAsync(
                new Progress<QmpMigrationProgress>(p => Console.WriteLine($"{p.Status}: {p.RemainingBytes} bytes left")));
            QmpMigrationStatus received = await incoming.Completion;   // watch the destination too: many failures show there
            Console.WriteLine($"source {sent}, destination {received}");
        }
        catch (QmpMigrationException e)
        {
            Console.WriteLine($"migration failed ({e.Status}, incoming: {e.IsIncoming}): {e.QemuError}");
        }
        #endregion

        Assert.That(output.ToString(), Does.Contain("source Completed, destination Completed"));
    }

    [Test]
    public async Task Take_an_internal_snapshot()
    {
        var disk = await CreateImageAsync("disk.qcow2", "16M");
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = EmptyMachine });
        var client = qemu.Client;
        await client.ExecuteAsync("blockdev-add", Node("disk0", disk));
        string? missing = null;

        #region snapshot
        await using var jobs = new QmpJobManager(client);

        // The VM state goes into disk0's image, next to the snapshot of every listed device (qcow2 images).
        await jobs.SaveSnapshotAsync("before-upgrade", vmStateNode: "disk0", devices: ["disk0"]);
        // ... later: back to that point (the VM is stopped while it loads), or drop it.
        await jobs.LoadSnapshotAsync("before-upgrade", vmStateNode: "disk0", devices: ["disk0"]);
        await jobs.DeleteSnapshotAsync("before-upgrade", devices: ["disk0"]);
        #endregion

        #region snapshot-missing
        try
        {
            await jobs.LoadSnapshotAsync("no-such-tag", vmStateNode: "disk0", devices: ["disk0"]);
        }
        catch (QmpJobException e)
        {
            Console.WriteLine(e.QemuError);   // Snapshot 'no-such-tag' does not exist in one or more devices
            missing = e.QemuError;
        }
        #endregion

        var left = await client.ExecuteAsync("query-jobs");
        Assert.That(missing, Does.Contain("no-such-tag"));
        Assert.That(left.GetArrayLength(), Is.Zero, "every snapshot job was dismissed");
    }

    [Test]
    public async Task Hot_plug_and_unplug_a_disk()
    {
        var image = await CreateImageAsync("data.qcow2", "16M");
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            // q35 with native PCIe hotplug into a root port: a slot that releases a device at once, even without a guest
            Arguments = ["-machine", "q35", "-nodefaults", "-display", "none", "-S",
                         "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
                         "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1"],
        });
        var client = qemu.Client;
        using var output = new ConsoleCapture();

        #region hotplug
        // blockdev-add, then device_add; when device_add fails, the node is deleted again and QEMU's error thrown.
        await QmpDevices.HotPlugDiskAsync(client,
            new JsonObject
            {
                ["node-name"] = "data0", ["driver"] = "qcow2",
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = image },
            },
            new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "data-disk", ["drive"] = "data0", ["bus"] = "rp1" });
        #endregion

        #region unplug
        // device_del, then wait (at most 30 s) for the guest to release the device; on Deleted the node is deleted too.
        QmpUnplugResult result = await QmpDevices.UnplugDiskAsync(client, "data-disk", "data0", TimeSpan.FromSeconds(30));
        switch (result.Outcome)
        {
            case QmpUnplugOutcome.Deleted:
                Console.WriteLine("data-disk and data0 are gone");
                break;
            case QmpUnplugOutcome.GuestError:
                Console.WriteLine("the guest refused to release data-disk; it stays");
                break;
            case QmpUnplugOutcome.NotReleased:
                Console.WriteLine("no answer from the guest yet: data-disk and data0 stay in use, the request stays pending");
                break;
        }
        #endregion

        Assert.That(result.IsDeleted, Is.True);
        Assert.That(output.ToString(), Does.Contain("data-disk and data0 are gone"));
    }

    [Test]
    public async Task Run_many_VMs_from_one_process()
    {
        using var output = new ConsoleCapture();

        #region many-vms
        // Each QEMU ends with this process (Lifetime = StopWithOwner, the default), even after SIGTERM or SIGKILL.
        // Its own monitor stays with the QemuProcess; the fleet talks to an extra one.
        var vms = new List<QemuProcess>();
        await using var fleet = new QmpFleet(QmpFleetOptions.Default with
        {
            CommandTimeout = TimeSpan.FromSeconds(5),   // per command and VM: a frozen VM fails only its own
            MaxConcurrency = 4,
        });
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var vm = await QemuProcess.StartAsync(new QemuStartOptions
                {
                    Arguments = ["-name", $"vm{i}", .. EmptyMachine],
                    Lifetime = QemuLifetime.StopWithOwner,
                    ExtraMonitors = ["fleet"],
                });
                vms.Add(vm);
                fleet.Add($"vm{i}", vm.ExtraMonitors["fleet"]);
            }

            foreach (QmpFleetResult r in await fleet.FanOutAsync("query-status"))
                Console.WriteLine(r.Succeeded ? $"{r.Name}: {r.Result.GetProperty("status")}" : $"{r.Name}: {r.Error!.Message}");
        }
        finally
        {
            foreach (var vm in vms)
                await vm.DisposeAsync();                // quit, then SIGTERM, then SIGKILL
        }
        #endregion

        var lines = output.ToString().Split(Environment.NewLine);
        Assert.That(lines, Does.Contain("vm0: prelaunch"));
        Assert.That(lines, Does.Contain("vm2: prelaunch"));
    }

    private async Task<string> CreateImageAsync(string name, string size)
    {
        var path = Path.Combine(_dir, name);
        using var process = Process.Start("qemu-img", ["create", "-q", "-f", "qcow2", path, size])!;
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"qemu-img create {name}");
        return path;
    }

    private static JsonObject Node(string name, string path) => new()
    {
        ["node-name"] = name,
        ["driver"] = "qcow2",
        ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = path },
    };
}
