using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>The storage workflows of docs/storage-daemon.md end to end against each qemu-storage-daemon (7.2 and 10.0.2):
/// a qcow2 image served over NBD and read and written by qemu-io/qemu-img in other processes, a vhost-user-blk export
/// that a real QEMU VM uses as its disk, a backup job inside the daemon, and export removal with a client connected.</summary>
[TestFixtureSource(typeof(StorageDaemonGeneration), nameof(StorageDaemonGeneration.All))]
public sealed partial class StorageDaemonTests(StorageDaemonGeneration generation)
{
    private string _dir = null!;
    private string _image = null!;

    [SetUp]
    public async Task CreateImage()
    {
        generation.Require();
        _dir = QemuFixture.CreatePrivateDirectory();
        _image = Path.Combine(_dir, "disk.qcow2");
        await RunOkAsync("qemu-img", CancellationToken.None, "create", "-q", "-f", "qcow2", _image, "16M");
        // A pattern written before the daemon opens the image: what the exports serve must be this qcow2's content.
        await RunOkAsync("qemu-io", CancellationToken.None, "-f", "qcow2", "-c", "write -P 0x5a 1M 64k", _image);
    }

    [TearDown]
    public void RemoveImage() => Directory.Delete(_dir, recursive: true);

    [Test]
    [CancelAfter(60_000)]
    public async Task A_qcow2_image_served_over_NBD_is_read_and_written_by_another_process(CancellationToken cancellationToken)
    {
        await using var daemon = await generation.StartAsync(new StorageDaemonStartOptions { BlockDevs = Qcow2Nodes(_image) }, cancellationToken);
        var nbd = Path.Combine(_dir, "nbd.sock");
        var commands = daemon.Client.Commands;

        await commands.NbdServerStartAsync(new NbdServerOptionsLegacy { Addr = new SocketAddressLegacy.UnixBranch { Data = new UnixSocketAddress { Path = nbd } } }, cancellationToken);
        await commands.BlockExportAddAsync(new BlockExportOptions.NbdBranch { Id = "export0", NodeName = "disk0", Name = "disk0", Writable = true }, cancellationToken);
        var uri = NbdUri(nbd, "disk0");

        var exports = await commands.QueryBlockExportsAsync(cancellationToken);
        Assert.That(exports.Select(e => (e.Id, e.NodeName, e.Type)), Is.EqualTo(new[] { ("export0", "disk0", BlockExportType.Nbd) }));
        var info = JsonDocument.Parse(await RunOkAsync("qemu-img", cancellationToken, "info", "--output=json", uri)).RootElement;
        Assert.That(info.GetProperty("virtual-size").GetInt64(), Is.EqualTo(16L << 20));

        Assert.That(await RunOkAsync("qemu-io", cancellationToken, "-r", "-f", "raw", "-c", "read -P 0x5a 1M 64k", uri), Does.Contain("read 65536/65536 bytes"));
        var wrongPattern = await generation.RunToolAsync("qemu-io", cancellationToken, "-r", "-f", "raw", "-c", "read -P 0xa5 1M 64k", uri);
        Assert.That(wrongPattern.Output, Does.Contain("Pattern verification failed"), "a wrong pattern must be noticed, or the reads above prove nothing");

        Assert.That(await RunOkAsync("qemu-io", cancellationToken, "-f", "raw", "-c", "write -P 0xa5 4M 64k", uri), Does.Contain("wrote 65536/65536 bytes"));
        Assert.That(await RunOkAsync("qemu-io", cancellationToken, "-r", "-f", "raw", "-c", "read -P 0xa5 4M 64k", uri), Does.Contain("read 65536/65536 bytes"));

        // The write went through the daemon's qcow2 node into the image file.
        Assert.That(await daemon.StopAsync(TimeSpan.FromSeconds(5), cancellationToken), Is.EqualTo(QemuStopMethod.Quit));
        Assert.That(await RunOkAsync("qemu-io", cancellationToken, "-r", "-f", "qcow2", "-c", "read -P 0xa5 4M 64k", _image), Does.Contain("read 65536/65536 bytes"));
    }

    /// <summary>The committed snapshot (src/Qmp.Net.QapiGen/StorageDaemonSchemas, which the typed-layer coverage test
    /// counts against) is this daemon's schema: same version, same commands and events.</summary>
    [Test]
    [CancelAfter(30_000)]
    public async Task The_committed_schema_snapshot_is_the_daemons_own(CancellationToken cancellationToken)
    {
        await using var daemon = await generation.StartAsync(new StorageDaemonStartOptions(), cancellationToken);
        var live = await daemon.Client.ExecuteAsync("query-qmp-schema", cancellationToken: cancellationToken);

        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Qmp.Net.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Qmp.Net.sln not found above the test binaries");
        }

        var file = Path.Combine(root, "src", "Qmp.Net.QapiGen", "StorageDaemonSchemas", $"qemu-storage-daemon-{generation.Label}.json");
        using var snapshot = JsonDocument.Parse(await File.ReadAllTextAsync(file, cancellationToken));
        Assert.That(snapshot.RootElement.GetProperty("qemu").GetString(), Is.EqualTo($"{daemon.Version.Major}.{daemon.Version.Minor}.{daemon.Version.Micro}"));
        foreach (var kind in new[] { "command", "event" })
        {
            Assert.That(Names(live, kind), Is.EquivalentTo(Names(snapshot.RootElement.GetProperty("schema"), kind)), kind + "s");
        }

        static IEnumerable<string> Names(JsonElement schema, string kind) =>
            schema.EnumerateArray().Where(e => e.GetProperty("meta-type").GetString() == kind).Select(e => e.GetProperty("name").GetString()!);
    }

    /// <summary>The typed layer checks against the connected server's own schema: a VM command the daemon lacks is
    /// refused before it is sent, while a daemon command goes through the same client.</summary>
    [Test]
    [CancelAfter(30_000)]
    public async Task A_VM_command_is_refused_by_the_typed_check_before_it_reaches_the_daemon(CancellationToken cancellationToken)
    {
        await using var daemon = await generation.StartAsync(new StorageDaemonStartOptions { BlockDevs = Qcow2Nodes(_image) }, cancellationToken);

        var refused = Assert.ThrowsAsync<QapiUnsupportedException>(() => daemon.Client.Commands.QueryStatusAsync(cancellationToken));
        Assert.That(refused!.Command, Is.EqualTo("query-status"));
        var nodes = await daemon.Client.Commands.QueryNamedBlockNodesAsync(cancellationToken: cancellationToken);
        Assert.That(nodes.Select(n => n.NodeName), Is.SupersetOf(new[] { "file0", "disk0" }));
    }

    [Test]
    [CancelAfter(30_000)]
    public void A_block_node_the_daemon_cannot_open_fails_the_start_with_its_reason(CancellationToken cancellationToken)
    {
        var missing = Path.Combine(_dir, "missing.qcow2");

        var failed = Assert.ThrowsAsync<QemuStartException>(() => generation.StartAsync(
            new StorageDaemonStartOptions { BlockDevs = [$"driver=file,node-name=file0,filename={missing}"] }, cancellationToken));

        Assert.That(failed!.ExitCode, Is.EqualTo(1));
        Assert.That(failed.Stderr, Does.Contain($"Could not open '{missing}'"));
    }

    /// <summary>A vhost-user-blk disk does not appear in the VM's query-block (QEMU has no block backend for it: the
    /// daemon does the I/O), so the proof is the VM's PCI device (a virtio block device, 1af4:1001) and the features its
    /// virtio backend negotiated with the daemon over the vhost-user socket.</summary>
    [Test]
    [CancelAfter(60_000)]
    public async Task A_vhost_user_blk_export_is_the_disk_of_a_real_VM(CancellationToken cancellationToken)
    {
        var vhost = Path.Combine(_dir, "vhost-user-blk.sock");
        await using var daemon = await generation.StartAsync(
            new StorageDaemonStartOptions
            {
                BlockDevs = Qcow2Nodes(_image),
                Exports = [$"type=vhost-user-blk,id=vub0,node-name=disk0,addr.type=unix,addr.path={vhost},writable=on"],
            },
            cancellationToken);
        Assert.That((await daemon.Client.Commands.QueryBlockExportsAsync(cancellationToken)).Single().Type, Is.EqualTo(BlockExportType.VhostUserBlk));

        var emulator = generation.Emulator;
        string[] firmware = generation.Label == "10.0" ? [emulator.BaseArguments[0], emulator.BaseArguments[1]] : [];
        await using var vm = await QemuProcess.StartAsync(
            new QemuStartOptions
            {
                Binary = emulator.Require(),
                Arguments =
                [
                    .. firmware,
                    "-machine", "pc,memory-backend=mem", "-m", "128M", "-nodefaults", "-display", "none", "-S",
                    "-object", "memory-backend-memfd,id=mem,size=128M,share=on",
                    "-chardev", $"socket,id=vub0,path={vhost}",
                    "-device", "vhost-user-blk-pci,chardev=vub0,id=vdisk0",
                ],
            },
            cancellationToken);

        var blocks = await vm.Client.Commands.QueryBlockAsync(cancellationToken);
        Assert.That(blocks.Select(b => b.Qdev), Has.No.Member("vdisk0"), "query-block lists no vhost-user disk");

        var pci = await vm.Client.ExecuteAsync("query-pci", cancellationToken: cancellationToken);
        var disk = pci.EnumerateArray().SelectMany(bus => bus.GetProperty("devices").EnumerateArray())
            .Single(d => d.GetProperty("qdev_id").GetString() == "vdisk0");
        Assert.That(disk.GetProperty("id").GetProperty("vendor").GetInt32(), Is.EqualTo(0x1af4));
        Assert.That(disk.GetProperty("id").GetProperty("device").GetInt32(), Is.EqualTo(0x1001));

        var status = await vm.Client.ExecuteAsync(
            "x-query-virtio-status", new { path = "/machine/peripheral/vdisk0/virtio-backend" }, cancellationToken);
        var features = status.GetProperty("host-features").GetProperty("dev-features").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.That(status.GetProperty("device-id").GetInt32(), Is.EqualTo(2), "virtio device 2 is a block device");
        Assert.That(features, Has.Some.StartsWith("VHOST_USER_F_PROTOCOL_FEATURES"), "offered by the daemon over vhost-user");
        Assert.That(features, Has.Some.StartsWith("VIRTIO_BLK_F_FLUSH"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_backup_job_of_the_exported_node_runs_inside_the_daemon(CancellationToken cancellationToken)
    {
        var nbd = Path.Combine(_dir, "nbd.sock");
        var target = Path.Combine(_dir, "backup.qcow2");
        await RunOkAsync("qemu-img", cancellationToken, "create", "-q", "-f", "qcow2", target, "16M");
        await using var daemon = await generation.StartAsync(
            new StorageDaemonStartOptions
            {
                BlockDevs = Qcow2Nodes(_image),
                NbdServer = $"addr.type=unix,addr.path={nbd}",
                Exports = ["type=nbd,id=export0,node-name=disk0,name=disk0,writable=on"],
            },
            cancellationToken);
        // A client writes through the export first: the backup must carry that write.
        await RunOkAsync("qemu-io", cancellationToken, "-f", "raw", "-c", "write -P 0x3c 2M 256k", NbdUri(nbd, "disk0"));

        var commands = daemon.Client.Commands;
        await commands.BlockdevAddAsync(
            new BlockdevOptions.Qcow2Branch { NodeName = "backup0", File = new BlockdevOptions.FileBranch { Filename = target } }, cancellationToken);
        var statuses = await RunJobAsync(
            daemon.Client,
            "job0",
            ct => commands.BlockdevBackupAsync(
                new BlockdevBackup { JobId = "job0", Device = "disk0", Target = "backup0", Sync = MirrorSyncMode.Full, AutoDismiss = false }, ct),
            cancellationToken);
        TestContext.Out.WriteLine($"{generation}: job0 went through {string.Join(" -> ", statuses)}");

        Assert.That(statuses[0], Is.EqualTo(JobStatus.Created));
        Assert.That(statuses, Does.Contain(JobStatus.Running));
        Assert.That(statuses[^1], Is.EqualTo(JobStatus.Null), "dismissed");
        Assert.That(statuses[^2], Is.EqualTo(JobStatus.Concluded));
        await commands.BlockdevDelAsync(new BlockdevDelArguments { NodeName = "backup0" }, cancellationToken);

        var compare = await generation.RunToolAsync("qemu-img", cancellationToken, "compare", "-U", _image, target);
        Assert.That(compare.ExitCode, Is.Zero, compare.Output);
        Assert.That(await RunOkAsync("qemu-io", cancellationToken, "-r", "-f", "qcow2", "-c", "read -P 0x3c 2M 256k", target), Does.Contain("read 262144/262144 bytes"));
    }

    /// <summary>block-export-del in its default safe mode refuses an export a client is still connected to; mode hard drops
    /// the client, answers, and then sends BLOCK_EXPORT_DELETED; a safe removal of an idle export sends the event before
    /// its answer.</summary>
    [Test]
    [CancelAfter(60_000)]
    public async Task Removing_an_export_while_a_client_is_connected_needs_mode_hard(CancellationToken cancellationToken)
    {
        var nbd = Path.Combine(_dir, "nbd.sock");
        await using var daemon = await generation.StartAsync(
            new StorageDaemonStartOptions
            {
                BlockDevs = Qcow2Nodes(_image),
                NbdServer = $"addr.type=unix,addr.path={nbd}",
                Exports = ["type=nbd,id=export0,node-name=disk0,name=disk0"],
            },
            cancellationToken);
        var commands = daemon.Client.Commands;
        await using var client = InteractiveQemuIo.Start(generation.Tool("qemu-io"), "-r", "-f", "raw", NbdUri(nbd, "disk0"));
        Assert.That(await client.RunAsync("read -P 0x5a 1M 512", cancellationToken), Does.Contain("read 512/512 bytes"));

        var refused = Assert.ThrowsAsync<QmpErrorException>(() => commands.BlockExportDelAsync(new BlockExportDelArguments { Id = "export0" }, cancellationToken));
        Assert.That(refused!.ErrorClass, Is.EqualTo("GenericError"));
        Assert.That((await commands.QueryBlockExportsAsync(cancellationToken)).Single().Id, Is.EqualTo("export0"));

        var deleted = daemon.Client.WaitForEventAsync<BlockExportDeletedEvent>(e => e.Id == "export0", cancellationToken);
        await commands.BlockExportDelAsync(new BlockExportDelArguments { Id = "export0", Mode = BlockExportRemoveMode.Hard }, cancellationToken);
        Assert.That((await deleted).Id, Is.EqualTo("export0"));
        Assert.That(await commands.QueryBlockExportsAsync(cancellationToken), Is.Empty);
        Assert.That(await client.RunAsync("read 0 512", cancellationToken), Does.Contain("read failed"), "the client was dropped");

        // An idle export goes in safe mode, and its event is already there when the answer arrives.
        await commands.BlockExportAddAsync(new BlockExportOptions.NbdBranch { Id = "export1", NodeName = "disk0", Name = "disk1" }, cancellationToken);
        using var events = daemon.Client.SubscribeEvents(e => e.Name == BlockExportDeletedEvent.EventName);
        await commands.BlockExportDelAsync(new BlockExportDelArguments { Id = "export1" }, cancellationToken);
        Assert.That(events.TryRead(out var early), Is.True, "BLOCK_EXPORT_DELETED comes before the answer to a safe block-export-del");
        Assert.That(((BlockExportDeletedEvent)early!.Decode()).Id, Is.EqualTo("export1"));
    }

    /// <summary>The job wait of these tests (the job helpers of another branch replace it): subscribes before the
    /// job-starting command (its created/running events come before its answer), follows JOB_STATUS_CHANGE to
    /// concluded, fails on a job error, dismisses the job, and returns every status seen.</summary>
    internal static async Task<List<JobStatus>> RunJobAsync(QmpClient client, string id, Func<CancellationToken, Task> start, CancellationToken cancellationToken)
    {
        using var events = client.SubscribeEvents(e => e.Name == JobStatusChangeEvent.EventName);
        await start(cancellationToken);
        var statuses = new List<JobStatus>();
        while (true)
        {
            if ((await events.ReadAsync(cancellationToken)).Decode() is not JobStatusChangeEvent change || change.Id != id)
            {
                continue;
            }

            statuses.Add(change.Status);
            if (change.Status == JobStatus.Concluded)
            {
                var job = (await client.Commands.QueryJobsAsync(cancellationToken)).Single(j => j.Id == id);
                Assert.That(job.Error, Is.Null, $"job {id} failed");
                await client.Commands.JobDismissAsync(new JobDismissArguments { Id = id }, cancellationToken);
            }
            else if (change.Status == JobStatus.Null)
            {
                return statuses;
            }
        }
    }

    private static string[] Qcow2Nodes(string image) =>
        [$"driver=file,node-name=file0,filename={image}", "driver=qcow2,node-name=disk0,file=file0"];

    private static string NbdUri(string socket, string export) => $"nbd+unix:///{export}?socket={socket}";

    private async Task<string> RunOkAsync(string tool, CancellationToken cancellationToken, params string[] arguments)
    {
        var (exitCode, output) = await generation.RunToolAsync(tool, cancellationToken, arguments);
        Assert.That(exitCode, Is.Zero, $"{tool} {string.Join(' ', arguments)}: {output}");
        return output;
    }

    /// <summary>A qemu-io that stays connected and runs one command at a time from its standard input.</summary>
    private sealed partial class InteractiveQemuIo : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

        private InteractiveQemuIo(Process process) => _process = process;

        public static InteractiveQemuIo Start(string binary, params string[] arguments)
        {
            var info = new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var process = new Process { StartInfo = info };
            var io = new InteractiveQemuIo(process);
            process.OutputDataReceived += (_, e) => io.Add(e.Data);
            process.ErrorDataReceived += (_, e) => io.Add(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return io;
        }

        /// <summary>Sends one command and returns its result line (qemu-io prints its prompt before it), skipping the
        /// statistics line that follows a successful read or write.</summary>
        public async Task<string> RunAsync(string command, CancellationToken cancellationToken)
        {
            await _process.StandardInput.WriteLineAsync(command.AsMemory(), cancellationToken);
            await _process.StandardInput.FlushAsync(cancellationToken);
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cancellationToken);
                if (!StatisticsLine().IsMatch(line))
                {
                    return line;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        [GeneratedRegex(@"^\d+ bytes, \d+ ops")]
        private static partial Regex StatisticsLine();

        private void Add(string? line)
        {
            if (line is { Length: > 0 })
            {
                _lines.Writer.TryWrite(line);
            }
        }
    }
}
