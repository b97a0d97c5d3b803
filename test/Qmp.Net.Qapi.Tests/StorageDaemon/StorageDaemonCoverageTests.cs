using System.Text.Json;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.StorageDaemon;

/// <summary>Each qemu-storage-daemon's commands and events (its committed query-qmp-schema, recorded by
/// src/Qmp.Net.QapiGen/StorageDaemonSchemas/record.sh) against the typed layer: every one of them must have its typed
/// method or record, marked for the same QEMU version, and <see cref="StorageDaemonCommands"/> must have exactly the
/// daemon's commands, each marked for the daemon versions that have it. (StorageDaemonTypedTests counts the same
/// against the running daemons.)</summary>
[TestFixture("7.2", 74, 13)]
[TestFixture("10.0", 76, 13)]
public class StorageDaemonCoverageTests(string version, int commandCount, int eventCount)
{
    private Dictionary<string, List<string>> _names = null!;

    [OneTimeSetUp]
    public void ReadSnapshot()
    {
        var path = Path.Combine(RepositoryPaths.Root, "src", "Qmp.Net.QapiGen", "StorageDaemonSchemas", $"qemu-storage-daemon-{version}.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.That(document.RootElement.GetProperty("qemu").GetString(), Does.StartWith(version + "."));
        _names = document.RootElement.GetProperty("schema").EnumerateArray()
            .GroupBy(e => e.GetProperty("meta-type").GetString()!)
            .ToDictionary(g => g.Key, g => g.Select(e => e.GetProperty("name").GetString()!).ToList());
    }

    [Test]
    public void Every_command_of_the_daemon_has_its_typed_method()
    {
        var commands = _names["command"];
        var missing = commands.Where(c => !QapiCatalog.Commands.TryGetValue(c, out var e) || !e.Versions.Contains(version)).ToList();

        TestContext.Out.WriteLine($"qemu-storage-daemon {version}: {commands.Count} commands, {commands.Count - missing.Count} typed");
        Assert.That(commands, Has.Count.EqualTo(commandCount), "the snapshot changed: update the expected count");
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void Every_event_of_the_daemon_has_its_typed_record()
    {
        var events = _names["event"];
        var missing = events.Where(c => !QapiCatalog.Events.TryGetValue(c, out var e) || !e.Versions.Contains(version)).ToList();

        TestContext.Out.WriteLine($"qemu-storage-daemon {version}: {events.Count} events, {events.Count - missing.Count} typed");
        Assert.That(events, Has.Count.EqualTo(eventCount), "the snapshot changed: update the expected count");
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void StorageDaemonCommands_has_a_method_for_each_command_of_the_daemon_marked_for_this_version()
    {
        var methods = StorageDaemonSurface.Methods;
        var commands = _names["command"];
        var missing = commands.Where(c => !methods.ContainsKey(c) || !StorageDaemonCatalog.Commands[c].Contains(version)).ToList();
        var extra = StorageDaemonCatalog.Commands.Where(kv => kv.Value.Contains(version) && !commands.Contains(kv.Key)).Select(kv => kv.Key).ToList();

        TestContext.Out.WriteLine($"qemu-storage-daemon {version}: {commands.Count} commands, {commands.Count - missing.Count} on StorageDaemonCommands ({100.0 * (commands.Count - missing.Count) / commands.Count:0.#} %)");
        Assert.That(missing, Is.Empty, "a command of the daemon without its method");
        Assert.That(extra, Is.Empty, "a method marked for this version that the daemon lacks");
        Assert.That(methods.Keys, Is.EquivalentTo(StorageDaemonCatalog.Commands.Keys), "one method per catalogued command");
    }

    [Test]
    public void The_catalog_marks_each_event_of_the_daemon_for_this_version()
    {
        var events = _names["event"];

        Assert.That(StorageDaemonCatalog.Events.Where(kv => kv.Value.Contains(version)).Select(kv => kv.Key), Is.EquivalentTo(events));
    }

    [Test]
    public void The_daemon_has_the_block_export_and_job_commands_but_no_VM_commands()
    {
        var commands = _names["command"];

        Assert.That(commands, Is.SupersetOf(new[] { "nbd-server-start", "block-export-add", "block-export-del", "query-block-exports", "blockdev-backup", "blockdev-mirror", "job-dismiss", "quit" }));
        Assert.That(commands, Has.None.AnyOf("cont", "stop", "device_add", "query-status", "migrate"));
    }
}
