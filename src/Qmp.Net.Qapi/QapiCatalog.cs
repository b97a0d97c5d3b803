namespace Qmp.Net.Qapi;

/// <summary>Which QEMU versions have each generated command and event, under which build condition, and its C# types
/// (the tables are generated).</summary>
internal static partial class QapiCatalog
{
    /// <summary>Gets every command by name.</summary>
    public static IReadOnlyDictionary<string, QapiCatalogEntry> Commands { get; } = CreateCommands();

    /// <summary>Gets every event by name.</summary>
    public static IReadOnlyDictionary<string, QapiCatalogEntry> Events { get; } = CreateEvents();
}

/// <summary>One command or event of the catalog.</summary>
/// <param name="Versions">The QEMU versions whose schema has it, oldest first (e.g. <c>7.2</c>, <c>10.0</c>).</param>
/// <param name="Condition">The QAPI build condition (e.g. <c>TARGET_S390X</c>, <c>CONFIG_LINUX</c>), or null.</param>
/// <param name="Type">The result type of a command (null without one), or the record of an event.</param>
/// <param name="Arguments">The argument type of a command, or null.</param>
internal sealed record QapiCatalogEntry(string[] Versions, string? Condition, Type? Type, Type? Arguments)
{
    /// <summary>Gets a value indicating whether the command takes members beyond its schema (QAPI <c>gen: false</c>,
    /// e.g. <c>device_add</c>'s device properties), so that only the command itself is checked.</summary>
    public bool OpenArguments { get; init; }
}
