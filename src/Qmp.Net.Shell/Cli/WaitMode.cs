using System.Globalization;
using System.Text;
using System.Text.Json;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Shell.Jobs;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary><c>qmp ENDPOINT wait job ID</c> and <c>qmp ENDPOINT wait migration</c>: follows a job or a migration with the
/// library's helpers (<see cref="QmpJobManager.AttachAsync"/>, <see cref="QmpMigration.AttachAsync"/>) until it ends,
/// showing a progress line on a terminal or printing JSON lines when piped; the exit code is the outcome.</summary>
internal static class WaitMode
{
    /// <summary>Waits.</summary>
    /// <param name="session">The connection.</param>
    /// <param name="options">What to wait for.</param>
    /// <param name="io">Where to print.</param>
    /// <param name="palette">Colours for standard output.</param>
    /// <param name="errPalette">Colours for standard error.</param>
    /// <param name="cancellationToken">Ctrl+C: stops waiting (the job or migration goes on).</param>
    /// <returns>0 when it succeeded, 1 when it failed, was cancelled or does not exist, 2 when the connection ended first.</returns>
    public static async Task<int> RunAsync(ShellSession session, ShellOptions options, ShellIO io, Palette palette, Palette errPalette, CancellationToken cancellationToken)
    {
        var printer = new Printer(io, palette);
        try
        {
            return options.WaitId is { } id
                ? await WaitJobAsync(session.Client, id, options.WaitComplete, printer, io, errPalette, cancellationToken).ConfigureAwait(false)
                : await WaitMigrationAsync(session.Client, printer, io, errPalette, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await printer.EndLineAsync().ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
        catch (Exception e) when (e is QmpConnectionClosedException or QmpCommunicationException or QmpConnectionException or IOException or ObjectDisposedException)
        {
            await printer.EndLineAsync().ConfigureAwait(false);
            await io.Error.WriteLineAsync(Reporter.Error("the connection to QEMU ended before the end: " + e.Message, errPalette)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
    }

    private static async Task<int> WaitJobAsync(QmpClient client, string id, bool complete, Printer printer, ShellIO io, Palette errPalette, CancellationToken cancellationToken)
    {
        var manager = new QmpJobManager(client);
        await using (manager.ConfigureAwait(false))
        {
            var job = (await manager.AttachAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.Id == id);
            if (job is null)
            {
                await io.Error.WriteLineAsync(Reporter.Error($"QEMU has no job '{id}' (query-jobs does not list it: it may have ended and been dismissed already)", errPalette)).ConfigureAwait(false);
                return ExitCodes.CommandFailed;
            }

            // Where it stands now, then every change and poll.
            await printer.JobAsync(job, job.Progress, null, null).ConfigureAwait(false);
            var completing = complete ? CompleteWhenReadyAsync(job, cancellationToken) : Task.CompletedTask;
            await foreach (var p in job.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                await printer.JobAsync(job, p, null, null).ConfigureAwait(false);
            }

            try
            {
                await job.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
                await completing.ConfigureAwait(false);
                await printer.JobAsync(job, job.Progress, "success", null).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (QmpJobException e)
            {
                var outcome = e.WasCancelled ? "cancelled" : "failed";
                await printer.JobAsync(job, job.Progress, outcome, e.QemuError).ConfigureAwait(false);
                await io.Error.WriteLineAsync(Reporter.Error($"job '{id}' {outcome}" + (e.QemuError is { } text ? ": " + text : string.Empty), errPalette)).ConfigureAwait(false);
                return ExitCodes.CommandFailed;
            }
        }
    }

    private static async Task CompleteWhenReadyAsync(QmpJob job, CancellationToken cancellationToken)
    {
        try
        {
            await job.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (job.Completion.IsCompleted || !cancellationToken.IsCancellationRequested)
        {
            // The job ended another way (failed, cancelled, or never ready): its completion says how.
        }
    }

    private static async Task<int> WaitMigrationAsync(QmpClient client, Printer printer, ShellIO io, Palette errPalette, CancellationToken cancellationToken)
    {
        var state = await client.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false);
        var incoming = state.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() == "inmigrate";
        QmpMigration migration;
        try
        {
            migration = await QmpMigration.AttachAsync(client, incoming, null, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            await io.Error.WriteLineAsync(Reporter.Error(e.Message, errPalette)).ConfigureAwait(false);
            return ExitCodes.CommandFailed;
        }

        await using (migration.ConfigureAwait(false))
        {
            var last = default(QmpMigrationProgress);
            await foreach (var p in migration.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                last = p;
                await printer.MigrationAsync(incoming, p, null, null).ConfigureAwait(false);
            }

            try
            {
                var final = await migration.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
                var ok = final == QmpMigrationStatus.Completed;
                await printer.MigrationAsync(incoming, last with { Status = final }, ok ? "success" : "cancelled", null).ConfigureAwait(false);
                if (!ok)
                {
                    await io.Error.WriteLineAsync(Reporter.Error("the migration was cancelled", errPalette)).ConfigureAwait(false);
                }

                return ok ? ExitCodes.Success : ExitCodes.CommandFailed;
            }
            catch (QmpMigrationException e)
            {
                await printer.MigrationAsync(incoming, last with { Status = e.Status }, "failed", e.QemuError).ConfigureAwait(false);
                await io.Error.WriteLineAsync(Reporter.Error("the migration failed" + (e.QemuError is { } text ? ": " + text : string.Empty), errPalette)).ConfigureAwait(false);
                return ExitCodes.CommandFailed;
            }
        }
    }

    /// <summary>QEMU's spelling of a status: <c>PostcopyActive</c> is <c>postcopy-active</c>.</summary>
    /// <param name="name">The enum member's name.</param>
    /// <returns>The lower-case, dashed name.</returns>
    internal static string Spell(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    /// <summary>Prints progress: one line redrawn in place on a terminal, JSON lines otherwise.</summary>
    private sealed class Printer(ShellIO io, Palette palette)
    {
        private bool _lineOpen;

        public Task JobAsync(QmpJob job, QmpJobProgress p, string? outcome, string? error)
        {
            var status = Spell(p.Status.ToString());
            if (io.OutIsTerminal)
            {
                return LineAsync(new ProgressSnapshot(job.Id, job.Type, status, p.Current, p.Total, outcome is not null, null), outcome, error);
            }

            var json = Json(w =>
            {
                w.WriteString("job", job.Id);
                w.WriteString("type", job.Type);
                w.WriteString("status", status);
                w.WriteNumber("current", p.Current);
                w.WriteNumber("total", p.Total);
                Outcome(w, outcome, error);
            });
            return WriteJsonAsync(json);
        }

        public Task MigrationAsync(bool incoming, QmpMigrationProgress p, string? outcome, string? error)
        {
            var status = Spell(p.Status.ToString());
            if (io.OutIsTerminal)
            {
                var done = p.Status == QmpMigrationStatus.Completed ? p.TotalBytes : Math.Max(0, p.TotalBytes - p.RemainingBytes);
                return LineAsync(new ProgressSnapshot("migration", incoming ? "incoming" : "outgoing", status, done, p.TotalBytes, outcome is not null, null), outcome, error);
            }

            var json = Json(w =>
            {
                w.WriteString("migration", incoming ? "incoming" : "outgoing");
                w.WriteString("status", status);
                w.WriteNumber("transferred", p.TransferredBytes);
                w.WriteNumber("remaining", p.RemainingBytes);
                w.WriteNumber("total", p.TotalBytes);
                Outcome(w, outcome, error);
            });
            return WriteJsonAsync(json);
        }

        public async Task EndLineAsync()
        {
            if (_lineOpen)
            {
                _lineOpen = false;
                await io.Out.WriteLineAsync().ConfigureAwait(false);
                await io.Out.FlushAsync().ConfigureAwait(false);
            }
        }

        private static void Outcome(Utf8JsonWriter w, string? outcome, string? error)
        {
            if (outcome is not null)
            {
                w.WriteString("outcome", outcome);
            }

            if (error is not null)
            {
                w.WriteString("error", error);
            }
        }

        private static string Json(Action<Utf8JsonWriter> write)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartObject();
                write(writer);
                writer.WriteEndObject();
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private async Task WriteJsonAsync(string json)
        {
            await io.Out.WriteLineAsync(json).ConfigureAwait(false);
            await io.Out.FlushAsync().ConfigureAwait(false);
        }

        private async Task LineAsync(ProgressSnapshot snapshot, string? outcome, string? error)
        {
            int width;
            try
            {
                width = Math.Max(40, io.Console.WindowWidth);
            }
            catch (IOException)
            {
                width = 80;
            }

            var line = ProgressDisplay.Line(snapshot, width, palette);
            await io.Out.WriteAsync("\r" + line + "\u001b[K").ConfigureAwait(false);
            _lineOpen = true;
            if (outcome is not null)
            {
                await io.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {outcome}{(error is null ? string.Empty : ": " + error)}")).ConfigureAwait(false);
                _lineOpen = false;
            }

            await io.Out.FlushAsync().ConfigureAwait(false);
        }
    }
}
