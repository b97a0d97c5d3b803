using System.Text.Json;
using Qmp.Net.Introspection;

namespace Qmp.Net.Shell.Tests.Support;

/// <summary>Replies of <c>query-qmp-schema</c> recorded from real QEMUs (TestData/query-qmp-schema-VERSION.json).</summary>
internal static class RecordedSchemas
{
    private static readonly Lazy<QmpSchema> s_qemu72 = new(() => Load("7.2.22"));

    /// <summary>Gets QEMU 7.2.22's schema (Debian bookworm's qemu-system-x86).</summary>
    public static QmpSchema Qemu72 => s_qemu72.Value;

    /// <summary>Gets the versions recorded in TestData (7.2.22, and 10.0.x when the lead adds it).</summary>
    public static IEnumerable<string> Versions =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "TestData"), "query-qmp-schema-*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f)["query-qmp-schema-".Length..])
            .Order(StringComparer.Ordinal);

    /// <summary>Loads a recorded schema.</summary>
    /// <param name="version">The QEMU version.</param>
    /// <returns>The schema.</returns>
    public static QmpSchema Load(string version)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", $"query-qmp-schema-{version}.json")));
        return QmpSchema.Parse(document.RootElement);
    }
}
