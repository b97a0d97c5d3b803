using Qmp.Net.Introspection;
using Qmp.Net.Qemu;

namespace Qmp.Net.Qapi.Tests.StorageDaemon;

/// <summary><see cref="StorageDaemonCommands"/> against the real daemons, 7.2 (Debian) and 10.0.2, started through
/// <see cref="StorageDaemonProcess"/>: coverage counted against each daemon's own live <c>query-qmp-schema</c>, a typed
/// NBD export made and removed, and a command only the newer daemon has refused by the older one before anything is sent.</summary>
[TestFixture("7.2")]
[TestFixture("10.0")]
[CancelAfter(120_000)]
public class StorageDaemonTypedTests(string version)
{
    private StorageDaemonProcess _daemon = null!;
    private DirectoryInfo _dir = null!;

    [SetUp]
    public async Task StartAsync()
    {
        var binary = StorageDaemonSurface.Require(version);
        _dir = Directory.CreateTempSubdirectory("qsd-typed-");
        _daemon = await StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions { Binary = binary }).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _daemon.DisposeAsync();
        _dir.Delete(true);
    }

    [Test]
    public async Task Every_command_and_event_of_the_live_schema_is_typed_for_this_daemon_version(CancellationToken cancellationToken)
    {
        var schema = await _daemon.Client.GetSchemaAsync(cancellationToken);
        var live = schema.Commands.Keys.ToList();
        var typed = live.Where(c => StorageDaemonSurface.Methods.ContainsKey(c) && StorageDaemonCatalog.Commands[c].Contains(version)).ToList();
        var notLive = StorageDaemonCatalog.Commands.Where(kv => kv.Value.Contains(version) && !schema.Commands.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        var liveEvents = schema.Events.Keys.ToList();

        TestContext.Out.WriteLine($"qemu-storage-daemon {_daemon.Version}: {live.Count} commands, {typed.Count} typed on StorageDaemonCommands ({100.0 * typed.Count / live.Count:0.#} %); {liveEvents.Count} events");
        Assert.That(_daemon.Version.ToString(), Does.StartWith(version + "."));
        Assert.That(typed, Is.EquivalentTo(live), "100 % of the daemon's commands");
        Assert.That(notLive, Is.Empty, "no method marked for this version that the daemon lacks");
        Assert.That(StorageDaemonCatalog.Events.Where(kv => kv.Value.Contains(version)).Select(kv => kv.Key), Is.EquivalentTo(liveEvents));
        Assert.That(liveEvents.Where(e => !QapiCatalog.Events.ContainsKey(e)), Is.Empty, "every event has its typed record");
    }

    [Test]
    public async Task A_typed_NBD_export_is_made_listed_and_removed(CancellationToken cancellationToken)
    {
        var commands = _daemon.Client.StorageDaemonCommands;
        var socket = Path.Combine(_dir.FullName, "nbd.sock");

        await commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null0", Size = 1 << 20, ReadZeroes = true }, cancellationToken);
        await commands.NbdServerStartAsync(new NbdServerOptionsLegacy { Addr = new SocketAddressLegacy.UnixBranch { Data = new UnixSocketAddress { Path = socket } } }, cancellationToken);
        await commands.BlockExportAddAsync(new BlockExportOptions.NbdBranch { Id = "export0", NodeName = "null0", Name = "disk" }, cancellationToken);
        var exports = await commands.QueryBlockExportsAsync(cancellationToken);
        var nodes = await commands.QueryNamedBlockNodesAsync(cancellationToken: cancellationToken);

        Assert.That(exports.Select(e => (e.Id, e.NodeName, e.Type.Kind)), Is.EqualTo(new[] { ("export0", "null0", BlockExportType.Known.Nbd) }));
        Assert.That(nodes.Select(n => n.NodeName), Does.Contain("null0"));
        Assert.That(File.Exists(socket), Is.True, "the NBD server listens on its socket");

        await commands.BlockExportDelAsync(new BlockExportDelArguments { Id = "export0" }, cancellationToken);
        await commands.NbdServerStopAsync(cancellationToken);

        Assert.That(await commands.QueryBlockExportsAsync(cancellationToken), Is.Empty);
    }

    [Test]
    public async Task A_command_only_the_newer_daemon_has_is_refused_by_the_older_one_before_sending(CancellationToken cancellationToken)
    {
        var commands = _daemon.Client.StorageDaemonCommands;
        await commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null0" }, cancellationToken);

        Assert.That(StorageDaemonCatalog.Commands["blockdev-set-active"], Is.EqualTo(new[] { "10.0" }));
        var call = commands.BlockdevSetActiveAsync(new BlockdevSetActiveArguments { NodeName = "null0", Active = true }, cancellationToken);
        if (version == "7.2")
        {
            var refused = Assert.ThrowsAsync<QapiUnsupportedException>(() => call);
            Assert.That(refused!.Command, Is.EqualTo("blockdev-set-active"));
        }
        else
        {
            await call;
            var node = (await commands.QueryNamedBlockNodesAsync(cancellationToken: cancellationToken)).Single(n => n.NodeName == "null0");
            Assert.That(node.NodeName, Is.EqualTo("null0"));
        }
    }
}
