using System.Globalization;
using Qmp.Net.Migration;
using Qmp.Net.Shell.Output;
using Spectre.Console;

namespace Qmp.Net.Shell.Jobs;

/// <summary>The <c>jobs</c> command: every job QEMU has (<c>query-jobs</c>) and the migration (<c>query-migrate</c>), with
/// their progress.</summary>
internal static class JobsTable
{
    /// <summary>Asks QEMU and renders the table.</summary>
    /// <param name="client">The client.</param>
    /// <param name="watcher">The observing job manager (reconciled with <c>query-jobs</c> too).</param>
    /// <param name="palette">The colours.</param>
    /// <param name="width">The terminal width.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The text.</returns>
    public static async Task<string> RenderAsync(QmpClient client, JobWatcher watcher, Palette palette, int width, CancellationToken cancellationToken)
    {
        var jobs = await watcher.Manager.AttachAsync(cancellationToken).ConfigureAwait(false);
        ProgressSnapshot? migration = null;
        try
        {
            migration = MigrationProgressSource.FromProgress(await QmpMigration.QueryAsync(client, cancellationToken).ConfigureAwait(false));
        }
        catch (QmpErrorException)
        {
            // A server without migration (qemu-storage-daemon).
        }

        var rows = jobs.Select(JobProgressSource.Snapshot).ToList();
        if (migration is { Status: not "none" })
        {
            rows.Add(migration);
        }

        if (rows.Count == 0)
        {
            return "No jobs, no migration.";
        }

        var table = Ui.Table("id", "type", "status", "progress", "done", "error");
        foreach (var row in rows)
        {
            var percent = (int)Math.Floor(row.Fraction * 100);
            var filled = (int)Math.Round(row.Fraction * 20);
            table.AddRow(
                Markup.Escape(row.Label),
                Markup.Escape(row.Kind),
                Markup.Escape(row.Status),
                "[green]" + new string('#', filled) + "[/]" + new string('.', 20 - filled) + string.Create(CultureInfo.InvariantCulture, $" {percent,3}%"),
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{row.Current}/{row.Total}")),
                Markup.Escape(row.Note is { } note && note.StartsWith("failed: ", StringComparison.Ordinal) ? note["failed: ".Length..] : string.Empty));
        }

        return Ui.Render(table, palette, width);
    }
}
