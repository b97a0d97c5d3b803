using System.Globalization;
using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>Runs the generation: snapshots in, C# files out.</summary>
internal static class Generator
{
    /// <summary>Loads the QMP snapshots (<c>qemu-VERSION.json</c>) of a folder, newest version first.</summary>
    public static List<Schema> LoadSchemas(string schemaDir, string prefix = "qemu-") =>
        Directory.GetFiles(schemaDir, prefix + "*.json")
            .Select(f => (Version: Path.GetFileNameWithoutExtension(f)[prefix.Length..], File: f))
            .OrderByDescending(p => Version.Parse(p.Version))
            .Select(p => Schema.Load(p.Version, JsonNode.Parse(File.ReadAllText(p.File))!.AsObject()))
            .ToList();

    /// <summary>Generates every file into <paramref name="outDir"/>, removing generated files that are no longer produced.</summary>
    /// <returns>The number of files written.</returns>
    public static int Run(string schemaDir, string outDir)
    {
        var set = new Superset(LoadSchemas(schemaDir));
        var emitter = new Emitter(set);
        var files = emitter.Emit();
        Directory.CreateDirectory(outDir);
        foreach (var stale in Directory.GetFiles(outDir, "*.cs"))
        {
            if (!files.ContainsKey(Path.GetFileName(stale)))
            {
                File.Delete(stale);
            }
        }

        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(outDir, name), content);
        }

        Console.WriteLine(Emitter.Counts(set));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{files.Values.Sum(f => f.Count(c => c == '\n'))} lines; {emitter.SentTypes} types a user sends ({emitter.RequiredMembers} required members)"));
        return files.Count + AgentGenerator.Run(schemaDir, outDir);
    }
}
