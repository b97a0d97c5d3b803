using System.Text.RegularExpressions;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.StorageDaemon;

/// <summary>docs/storage-daemon.md's tables of where each daemon command and event exists match the generated
/// <see cref="StorageDaemonCatalog"/> and the methods of <see cref="StorageDaemonCommands"/>.</summary>
public partial class StorageDaemonDocsTests
{
    [Test]
    public void The_docs_tables_are_the_catalog()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "storage-daemon.md"));
        var rows = Row().Matches(text).Select(m => (Name: m.Groups[1].Value, Member: m.Groups[2].Value, Versions: Versions(m.Groups[3].Value, m.Groups[4].Value))).ToList();
        var commands = rows.Where(r => r.Member.EndsWith("Async", StringComparison.Ordinal)).ToList();
        var events = rows.Except(commands).ToList();

        Assert.That(commands.Select(r => (r.Name, r.Versions)), Is.EquivalentTo(StorageDaemonCatalog.Commands.Select(kv => (kv.Key, string.Join(",", kv.Value)))));
        Assert.That(commands.Select(r => (r.Name, r.Member)), Is.EquivalentTo(StorageDaemonSurface.Methods.Select(kv => (kv.Key, kv.Value.Name))));
        Assert.That(events.Select(r => (r.Name, r.Versions)), Is.EquivalentTo(StorageDaemonCatalog.Events.Select(kv => (kv.Key, string.Join(",", kv.Value)))));
        Assert.That(events.Select(r => (r.Name, r.Member)), Is.EquivalentTo(StorageDaemonCatalog.Events.Keys.Select(e => (e, QapiCatalog.Events[e].Type!.Name))));
    }

    private static string Versions(string v72, string v100) => string.Join(",", new[] { v72 == "yes" ? "7.2" : null, v100 == "yes" ? "10.0" : null }.OfType<string>());

    [GeneratedRegex(@"^\| `([^`]+)` \| `(\w+)` \| (yes|—) \| (yes|—) \|$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
