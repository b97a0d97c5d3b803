using System.Diagnostics;
using Qmp.Net;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;

namespace Snippets;

/// <summary>The snippets of docs/storage-daemon.md, run against the qemu-storage-daemon on PATH (Debian's 7.2;
/// test/Qmp.Net.IntegrationTests/StorageDaemonTests runs the same workflows against 10.0.2 too).</summary>
[CancelAfter(60_000)]
public sealed class StorageDaemonSnippets
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        Qemu.Require();
        _dir = Directory.CreateTempSubdirectory("qsd-snippets-").FullName;
    }

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Serve_a_qcow2_image_over_NBD()
    {
        var image = await CreateImageAsync("disk.qcow2");
        var dir = _dir;
        #region nbd
        await using var daemon = await StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions
        {
            BlockDevs = [$"driver=file,node-name=file0,filename={image}", "driver=qcow2,node-name=disk0,file=file0"],
        });
        var commands = daemon.Client.Commands;                       // the typed layer, as for a QEMU

        var socket = Path.Combine(dir, "nbd.sock");
        await commands.NbdServerStartAsync(new NbdServerOptionsLegacy
        {
            Addr = new SocketAddressLegacy.UnixBranch { Data = new UnixSocketAddress { Path = socket } },
        });
        await commands.BlockExportAddAsync(new BlockExportOptions.NbdBranch
        {
            Id = "export0", NodeName = "disk0", Name = "disk0", Writable = true,
        });
        // any NBD client can now use nbd+unix:///disk0?socket=<socket>, e.g. qemu-img info or qemu-io
        #endregion

        var info = await RunAsync("qemu-img", "info", $"nbd+unix:///disk0?socket={socket}");
        Assert.That(info, Does.Contain("virtual size: 16 MiB"));
    }

    [Test]
    public async Task Use_the_daemon_typed_surface()
    {
        await using var daemon = await StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions());
        var socket = Path.Combine(_dir, "typed-nbd.sock");
        #region typed
        var qsd = daemon.Client.StorageDaemonCommands;               // only the daemon's commands
        await qsd.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null0", Size = 1 << 20 });
        await qsd.NbdServerStartAsync(new NbdServerOptionsLegacy
        {
            Addr = new SocketAddressLegacy.UnixBranch { Data = new UnixSocketAddress { Path = socket } },
        });
        await qsd.BlockExportAddAsync(new BlockExportOptions.NbdBranch { Id = "export0", NodeName = "null0", Name = "disk" });
        IReadOnlyList<BlockExportInfo> exports = await qsd.QueryBlockExportsAsync();
        #endregion

        Assert.That(exports.Select(e => e.Id), Is.EqualTo(new[] { "export0" }));
        Assert.That(await RunAsync("qemu-img", "info", $"nbd+unix:///disk?socket={socket}"), Does.Contain("virtual size: 1 MiB"));
    }

    [Test]
    public async Task Give_a_VM_a_vhost_user_blk_disk()
    {
        var image = await CreateImageAsync("disk.qcow2");
        var dir = _dir;
        #region vhost-user-blk
        var vhost = Path.Combine(dir, "vhost-user-blk.sock");
        await using var daemon = await StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions
        {
            BlockDevs = [$"driver=file,node-name=file0,filename={image}", "driver=qcow2,node-name=disk0,file=file0"],
            Exports = [$"type=vhost-user-blk,id=vub0,node-name=disk0,addr.type=unix,addr.path={vhost},writable=on"],
        });

        // vhost-user needs the guest RAM shared with the daemon: a memfd backend with share=on
        await using var vm = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Arguments = ["-machine", "pc,memory-backend=mem", "-m", "128M", "-nodefaults", "-display", "none", "-S",
                         "-object", "memory-backend-memfd,id=mem,size=128M,share=on",
                         "-chardev", $"socket,id=vub0,path={vhost}",
                         "-device", "vhost-user-blk-pci,chardev=vub0,id=vdisk0"],
        });
        // the disk is a PCI device of the VM (query-pci: qdev_id vdisk0, 1af4:1001); query-block does not list it
        var pci = await vm.Client.ExecuteAsync("query-pci");
        #endregion

        Assert.That(pci.ToString(), Does.Contain("\"vdisk0\""));
    }

    [Test]
    public async Task Back_up_a_node_inside_the_daemon()
    {
        var image = await CreateImageAsync("disk.qcow2");
        var target = await CreateImageAsync("backup.qcow2");
        await using var daemon = await StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions
        {
            BlockDevs = [$"driver=file,node-name=file0,filename={image}", "driver=qcow2,node-name=disk0,file=file0"],
        });
        var client = daemon.Client;
        #region backup
        await client.Commands.BlockdevAddAsync(new BlockdevOptions.Qcow2Branch
        {
            NodeName = "backup0", File = new BlockdevOptions.FileBranch { Filename = target },
        });

        // subscribe first: JOB_STATUS_CHANGE created/running come before the reply to blockdev-backup
        using var jobEvents = client.SubscribeEvents(e => e.Name == JobStatusChangeEvent.EventName);
        await client.Commands.BlockdevBackupAsync(new BlockdevBackup
        {
            JobId = "job0", Device = "disk0", Target = "backup0", Sync = MirrorSyncMode.Full, AutoDismiss = false,
        });
        JobStatusChangeEvent? change;
        do
        {
            change = (await jobEvents.ReadAsync()).Decode() as JobStatusChangeEvent;
        }
        while (change is not { Id: "job0", Status.Kind: JobStatus.Known.Concluded });

        var job = (await client.Commands.QueryJobsAsync()).Single(j => j.Id == "job0");
        if (job.Error is not null)
        {
            throw new InvalidOperationException($"backup failed: {job.Error}");   // the reason is only here
        }

        await client.Commands.JobDismissAsync(new JobDismissArguments { Id = "job0" });
        await client.Commands.BlockdevDelAsync(new BlockdevDelArguments { NodeName = "backup0" });
        #endregion

        Assert.That(await RunAsync("qemu-img", "compare", "-U", image, target), Does.Contain("Images are identical"));
    }

    [Test]
    public async Task Remove_an_export_its_client_still_uses()
    {
        var image = await CreateImageAsync("disk.qcow2");
        var socket = Path.Combine(_dir, "nbd.sock");
        await using var daemon = await StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions
        {
            BlockDevs = [$"driver=file,node-name=file0,filename={image}", "driver=qcow2,node-name=disk0,file=file0"],
            NbdServer = $"addr.type=unix,addr.path={socket}",
            Exports = ["type=nbd,id=export0,node-name=disk0,name=disk0"],
        });
        using var nbdClient = StartNbdClient(socket);                // a qemu-io that stays connected to the export
        var client = daemon.Client;
        #region export-del
        try
        {
            // safe (the default) refuses while an NBD client is connected: GenericError "export 'export0' still in use"
            await client.Commands.BlockExportDelAsync(new BlockExportDelArguments { Id = "export0" });
        }
        catch (QmpErrorException e) when (e.ErrorClass == "GenericError")
        {
            // hard drops the clients; BLOCK_EXPORT_DELETED comes after the reply, so wait for it (start waiting first)
            var deleted = client.WaitForEventAsync<BlockExportDeletedEvent>(d => d.Id == "export0");
            await client.Commands.BlockExportDelAsync(new BlockExportDelArguments { Id = "export0", Mode = BlockExportRemoveMode.Hard });
            await deleted;
        }
        #endregion

        Assert.That(await client.Commands.QueryBlockExportsAsync(), Is.Empty);
        await nbdClient.StandardInput.WriteLineAsync("read 0 512");
        nbdClient.StandardInput.Close();
        Assert.That(await nbdClient.StandardOutput.ReadToEndAsync(), Does.Contain("read failed"), "the client was dropped");
    }

    /// <summary>Starts qemu-io on the export and waits until it has read from it (so it is connected).</summary>
    private static Process StartNbdClient(string socket)
    {
        var info = new ProcessStartInfo("qemu-io") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-r", "-f", "raw", $"nbd+unix:///disk0?socket={socket}" })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        process.StandardInput.WriteLine("read 0 512");
        process.StandardInput.Flush();
        var first = process.StandardOutput.ReadLine();
        Assert.That(first, Does.Contain("read 512/512 bytes"));
        return process;
    }

    private async Task<string> CreateImageAsync(string name)
    {
        var path = Path.Combine(_dir, name);
        await RunAsync("qemu-img", "create", "-f", "qcow2", path, "16M");
        return path;
    }

    private static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"{tool}: {error}");
        return await output;
    }
}
