namespace Qmp.Net.Qapi;

/// <summary>The typed commands of a qemu-storage-daemon: only the commands the daemon has (7.2 and 10.0, from its own
/// <c>query-qmp-schema</c>), each marked with the daemon versions that have it, reached through
/// <c>client.StorageDaemonCommands</c> (e.g. <c>daemon.Client.StorageDaemonCommands.BlockExportAddAsync(...)</c>). They take
/// and return the same records as <see cref="QapiCommands"/> and are checked the same way, against the connected
/// daemon's schema, before anything is sent.</summary>
/// <remarks>A cheap value: it holds only the client. Every method is thread-safe as <see cref="QmpClient"/> is.</remarks>
public readonly partial struct StorageDaemonCommands
{
    /// <summary>Initializes a new instance of the <see cref="StorageDaemonCommands"/> struct.</summary>
    /// <param name="client">The client connected to a qemu-storage-daemon.</param>
    public StorageDaemonCommands(QmpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
    }

    /// <summary>Gets the client the commands run on.</summary>
    public QmpClient Client { get; }
}

/// <summary>Which qemu-storage-daemon versions have each command and event (the tables are generated from the daemons'
/// own <c>query-qmp-schema</c>, src/Qmp.Net.QapiGen/StorageDaemonSchemas).</summary>
internal static partial class StorageDaemonCatalog
{
    /// <summary>Gets every daemon command by name, with the daemon versions that have it, oldest first.</summary>
    public static IReadOnlyDictionary<string, string[]> Commands { get; } = CreateCommands();

    /// <summary>Gets every daemon event by name, with the daemon versions that have it, oldest first.</summary>
    public static IReadOnlyDictionary<string, string[]> Events { get; } = CreateEvents();
}
