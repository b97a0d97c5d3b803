using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>The qemu-storage-daemon target: which commands and events each daemon version has, read from its own
/// <c>query-qmp-schema</c> (<c>StorageDaemonSchemas/qemu-storage-daemon-VERSION.json</c>, recorded by
/// <c>record.sh</c>). The daemon's commands are a subset of the system emulator's with the same types, so the target
/// adds no type: only the daemon's commands struct (<c>StorageDaemonCommands</c>) and its catalog.</summary>
internal static class StorageDaemonTarget
{
    public const string Folder = "StorageDaemon";
    public const string SnapshotFolder = "StorageDaemonSchemas";
    public const string Prefix = "qemu-storage-daemon-";

    /// <summary>The daemon snapshots' folder beside the QMP snapshots' (<c>Schemas/../StorageDaemonSchemas</c>).</summary>
    public static string SnapshotDir(string schemaDir) => Path.Combine(schemaDir, "..", SnapshotFolder);

    /// <summary>Reads each version's command and event names; empty without daemon snapshots.</summary>
    /// <returns>Per version label (oldest first): its exact daemon version and names.</returns>
    public static IReadOnlyList<DaemonVersion> Load(string schemaDir)
    {
        var dir = SnapshotDir(schemaDir);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        return Directory.GetFiles(dir, Prefix + "*.json")
            .Select(f => (Label: Path.GetFileNameWithoutExtension(f)[Prefix.Length..], File: f))
            .OrderBy(p => Version.Parse(p.Label))
            .Select(p => Read(p.Label, JsonNode.Parse(File.ReadAllText(p.File))!.AsObject()))
            .ToList();
    }

    /// <summary>Reads one snapshot: <c>{"qemu": "10.0.2", "schema": [query-qmp-schema's entities]}</c>.</summary>
    public static DaemonVersion Read(string label, JsonObject snapshot)
    {
        var schema = snapshot["schema"]!.AsArray();
        List<string> Names(string metaType) => [.. schema
            .Where(e => e!["meta-type"]!.GetValue<string>() == metaType)
            .Select(e => e!["name"]!.GetValue<string>())
            .Order(StringComparer.Ordinal)];
        return new DaemonVersion(label, snapshot["qemu"]!.GetValue<string>(), Names("command"), Names("event"));
    }

    /// <summary>The daemon's model: each of its commands and events (the QMP model's) with the daemon versions that
    /// have it. A daemon command or event the QMP model lacks is an error: the daemon would have a type no record exists for.</summary>
    public static StorageDaemonModel Build(ApiModel qmp, IReadOnlyList<DaemonVersion> versions)
    {
        var commands = versions.SelectMany(v => v.Commands).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(name => new DaemonCommand(
                qmp.Commands.SingleOrDefault(c => c.Name == name) ?? throw new InvalidOperationException($"qemu-storage-daemon has the command '{name}', which no QMP schema snapshot has."),
                [.. versions.Where(v => v.Commands.Contains(name)).Select(v => v.Label)]))
            .ToList();
        var events = versions.SelectMany(v => v.Events).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(name => new DaemonEvent(
                qmp.Events.SingleOrDefault(e => e.Name == name) ?? throw new InvalidOperationException($"qemu-storage-daemon has the event '{name}', which no QMP schema snapshot has."),
                [.. versions.Where(v => v.Events.Contains(name)).Select(v => v.Label)]))
            .ToList();
        return new StorageDaemonModel(versions, commands, events);
    }
}

/// <summary>One qemu-storage-daemon version's command and event names.</summary>
/// <param name="Label">The version label (<c>7.2</c>).</param>
/// <param name="Qemu">The exact version (<c>7.2.22</c>).</param>
/// <param name="Commands">Its commands, sorted.</param>
/// <param name="Events">Its events, sorted.</param>
internal sealed record DaemonVersion(string Label, string Qemu, IReadOnlyList<string> Commands, IReadOnlyList<string> Events);

/// <summary>The storage daemon's typed surface: the QMP model's commands and events it has, per version.</summary>
/// <param name="Versions">The daemon versions, oldest first.</param>
/// <param name="Commands">Its commands, by name.</param>
/// <param name="Events">Its events, by name.</param>
internal sealed record StorageDaemonModel(IReadOnlyList<DaemonVersion> Versions, IReadOnlyList<DaemonCommand> Commands, IReadOnlyList<DaemonEvent> Events)
{
    /// <summary>The versions' labels, oldest first.</summary>
    public IReadOnlyList<string> Labels => [.. Versions.Select(v => v.Label)];

    /// <summary>"In qemu-storage-daemon 7.2 and 10.0." or "In qemu-storage-daemon 10.0 only (not in 7.2)."</summary>
    public string VersionsText(IReadOnlyList<string> have)
    {
        var absent = Labels.Where(l => !have.Contains(l)).ToList();
        var text = "In qemu-storage-daemon " + string.Join(" and ", have);
        return (absent.Count == 0 ? text : text + " only (not in " + string.Join(" or ", absent) + ")") + ".";
    }
}

/// <summary>A command of the daemon.</summary>
/// <param name="Command">The QMP model's command (same method name, arguments and result).</param>
/// <param name="Versions">The daemon versions that have it, oldest first.</param>
internal sealed record DaemonCommand(CommandModel Command, IReadOnlyList<string> Versions);

/// <summary>An event of the daemon.</summary>
/// <param name="Event">The QMP model's event (same record).</param>
/// <param name="Versions">The daemon versions that have it, oldest first.</param>
internal sealed record DaemonEvent(EventModel Event, IReadOnlyList<string> Versions);
