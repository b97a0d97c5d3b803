namespace Qmp.Net.QapiGen;

/// <summary>The guest agent part of the generation: the <c>qga-VERSION.json</c> snapshots (QEMU's
/// <c>qga/qapi-schema.json</c>) merged into one superset and written as <c>Qmp.Net.Qapi.Qga</c> into a <c>Qga</c>
/// folder beside the QMP files.</summary>
internal static class AgentGenerator
{
    public const string Prefix = "qga-";
    public const string Folder = "Qga";

    /// <summary>Loads the guest agent's superset, or <see langword="null"/> when the folder has no guest agent snapshot.</summary>
    public static Superset? Load(string schemaDir) =>
        Directory.GetFiles(schemaDir, Prefix + "*.json").Length == 0 ? null : new Superset(Generator.LoadSchemas(schemaDir, Prefix));

    /// <summary>Generates the guest agent's files into <c>OUT/Qga</c>, removing generated files that are no longer produced.</summary>
    /// <returns>The number of files written (0 without guest agent snapshots).</returns>
    public static int Run(string schemaDir, string outDir)
    {
        if (Load(schemaDir) is not { } set)
        {
            return 0;
        }

        var files = new Emitter(set, EmitterProfile.Qga).Emit();
        var dir = Path.Combine(outDir, Folder);
        Directory.CreateDirectory(dir);
        foreach (var stale in Directory.GetFiles(dir, "*.cs"))
        {
            if (!files.ContainsKey(Path.GetFileName(stale)))
            {
                File.Delete(stale);
            }
        }

        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), content);
        }

        Console.WriteLine("guest agent " + Emitter.Counts(set).Replace("\n", "\nguest agent ", StringComparison.Ordinal));
        return files.Count;
    }
}
