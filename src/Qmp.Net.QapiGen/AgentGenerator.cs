namespace Qmp.Net.QapiGen;

/// <summary>The guest agent part of the generation: the <c>qga-VERSION.json</c> snapshots (QEMU's
/// <c>qga/qapi-schema.json</c>) merged into one superset and written as <c>Qmp.Net.Qapi.Qga</c> into a <c>Qga</c>
/// folder beside the QMP files (<see cref="Generator.Files"/>).</summary>
internal static class AgentGenerator
{
    public const string Prefix = "qga-";
    public const string Folder = "Qga";

    /// <summary>Loads the guest agent's superset, or <see langword="null"/> when the folder has no guest agent snapshot.</summary>
    public static Superset? Load(string schemaDir) =>
        Directory.GetFiles(schemaDir, Prefix + "*.json").Length == 0 ? null : new Superset(Generator.LoadSchemas(schemaDir, Prefix));
}
