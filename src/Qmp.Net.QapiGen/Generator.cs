using System.Globalization;
using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>Runs the generation: snapshots in, a model per layer (<see cref="ModelBuilder"/>), C# files out
/// (<see cref="Emitter"/>).</summary>
internal static class Generator
{
    /// <summary>Loads the QMP snapshots (<c>qemu-VERSION.json</c>) of a folder, newest version first.</summary>
    public static List<Schema> LoadSchemas(string schemaDir, string prefix = "qemu-") =>
        Directory.GetFiles(schemaDir, prefix + "*.json")
            .Select(f => (Version: Path.GetFileNameWithoutExtension(f)[prefix.Length..], File: f))
            .OrderByDescending(p => Version.Parse(p.Version))
            .Select(p => Schema.Load(p.Version, JsonNode.Parse(File.ReadAllText(p.File))!.AsObject()))
            .ToList();

    /// <summary>Every generated file, QMP and guest agent: path relative to the output folder (with <c>/</c>) → content.</summary>
    public static SortedDictionary<string, string> Files(string schemaDir)
    {
        var set = new Superset(LoadSchemas(schemaDir));
        var model = ModelBuilder.Build(set);
        var files = Emitter.Emit(model);
        if (StorageDaemonTarget.Load(schemaDir) is { Count: > 0 } daemonVersions)
        {
            var daemon = StorageDaemonTarget.Build(model, daemonVersions);
            foreach (var (name, content) in Emitter.EmitStorageDaemon(model, daemon))
            {
                files[name] = content;
            }

            Console.WriteLine(string.Join("\n", daemonVersions.Select(v => $"qemu-storage-daemon {v.Label} ({v.Qemu}): {v.Commands.Count} commands, {v.Events.Count} events")));
        }

        Console.WriteLine(Emitter.Counts(set));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{files.Values.Sum(f => f.Count(c => c == '\n'))} lines; {model.SentTypes} types a user sends ({model.RequiredMembers} required members)"));
        if (AgentGenerator.Load(schemaDir) is { } agent)
        {
            foreach (var (name, content) in Emitter.Emit(ModelBuilder.Build(agent, EmitterProfile.Qga)))
            {
                files[AgentGenerator.Folder + "/" + name] = content;
            }

            Console.WriteLine("guest agent " + Emitter.Counts(agent).Replace("\n", "\nguest agent ", StringComparison.Ordinal));
        }

        return files;
    }

    /// <summary>Generates every file into <paramref name="outDir"/>, removing files and folders that are no longer produced.</summary>
    /// <returns>The number of files written.</returns>
    public static int Run(string schemaDir, string outDir)
    {
        var files = Files(schemaDir);
        Directory.CreateDirectory(outDir);
        foreach (var stale in Directory.GetFiles(outDir, "*", SearchOption.AllDirectories))
        {
            if (!files.ContainsKey(Path.GetRelativePath(outDir, stale).Replace('\\', '/')))
            {
                File.Delete(stale);
            }
        }

        foreach (var dir in Directory.GetDirectories(outDir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
        {
            if (!Directory.EnumerateFileSystemEntries(dir).Any())
            {
                Directory.Delete(dir);
            }
        }

        foreach (var (name, content) in files)
        {
            var path = Path.Combine(outDir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }

        return files.Count;
    }
}
