using Qmp.Net.Introspection;

namespace Qmp.Net.Qapi;

/// <summary>The typed entry point on <see cref="QmpClient"/>, and the switch of its schema check.</summary>
public static class QapiClientExtensions
{
    extension(QmpClient client)
    {
        /// <summary>Gets the typed QMP commands of this client, e.g. <c>client.Commands.QueryStatusAsync()</c>.</summary>
        public QapiCommands Commands => new(client);

        /// <summary>Gets the typed commands of the qemu-storage-daemon this client is connected to (only the daemon's
        /// commands), e.g. <c>client.StorageDaemonCommands.QueryBlockExportsAsync()</c>.</summary>
        public StorageDaemonCommands StorageDaemonCommands => new(client);

        /// <summary>Gets the schema check options of this client (<see cref="QapiCheckOptions.Default"/> unless set).</summary>
        public QapiCheckOptions QapiCheck => QapiSchemaCheck.OptionsOf(client);
    }

    /// <summary>Sets how this client's typed commands are checked against the connected QEMU (e.g. <c>Enabled = false</c>
    /// to turn the check off).</summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The options.</param>
    public static void SetQapiCheck(this QmpClient client, QapiCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        QapiSchemaCheck.Configure(client, options);
    }

    /// <summary>Reads the connected QEMU's schema now (once per client) rather than on the first typed command, e.g.
    /// right after connecting.</summary>
    /// <param name="client">The client.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The schema.</returns>
    public static Task<QmpSchema> PrepareQapiCheckAsync(this QmpClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetSchemaAsync(cancellationToken);
    }
}
