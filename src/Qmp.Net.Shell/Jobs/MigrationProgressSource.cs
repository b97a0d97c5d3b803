using Qmp.Net.Migration;

namespace Qmp.Net.Shell.Jobs;

/// <summary>The progress of an outgoing migration, read with the library's <see cref="QmpMigration.QueryAsync"/> (RAM
/// transferred of the total); it only looks, and sets no capability.</summary>
internal sealed class MigrationProgressSource : IProgressSource
{
    private readonly QmpClient _client;

    public MigrationProgressSource(QmpClient client) => _client = client;

    public Task Changed => Task.Delay(Timeout.Infinite);

    public async Task<ProgressSnapshot> PollAsync(CancellationToken cancellationToken) =>
        FromProgress(await QmpMigration.QueryAsync(_client, cancellationToken).ConfigureAwait(false));

    /// <summary>What to show of a migration's progress.</summary>
    /// <param name="progress">The progress.</param>
    /// <returns>The snapshot.</returns>
    public static ProgressSnapshot FromProgress(QmpMigrationProgress progress)
    {
        var status = progress.Status is QmpMigrationStatus.Unknown or QmpMigrationStatus.None ? "none" : QemuName(progress.Status);
        var total = progress.TotalBytes;

        // transferred counts pages sent again; what is left is the better measure of how far it is.
        var done = progress.Status == QmpMigrationStatus.Completed ? total
            : total > 0 ? Math.Max(0, total - progress.RemainingBytes)
            : progress.TransferredBytes;
        var finished = progress.Status is QmpMigrationStatus.Completed or QmpMigrationStatus.Failed or QmpMigrationStatus.Cancelled or QmpMigrationStatus.Unknown or QmpMigrationStatus.None;
        var note = progress.Status switch
        {
            QmpMigrationStatus.Failed => "failed" + (progress.ErrorDescription is { } e ? ": " + e : string.Empty),
            QmpMigrationStatus.Unknown or QmpMigrationStatus.None => "no migration is running",
            _ => null,
        };
        return new ProgressSnapshot("migration", "migrate", status, done, total, finished, note);
    }

    /// <summary>QEMU's name of a status: <see cref="QmpMigrationStatus.PostcopyActive"/> is <c>postcopy-active</c>.</summary>
    private static string QemuName(QmpMigrationStatus status)
    {
        var name = status.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}
