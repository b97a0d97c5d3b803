using System.Text.Json;

namespace Qmp.Net.Shell.Jobs;

/// <summary>The progress of an outgoing migration, from <c>query-migrate</c> (RAM transferred of the total).</summary>
internal sealed class MigrationProgressSource : IProgressSource
{
    private readonly QmpClient _client;

    public MigrationProgressSource(QmpClient client) => _client = client;

    public Task Changed => Task.Delay(Timeout.Infinite);

    public async Task<ProgressSnapshot> PollAsync(CancellationToken cancellationToken)
    {
        var info = await _client.ExecuteAsync("query-migrate", cancellationToken: cancellationToken).ConfigureAwait(false);
        return FromQueryMigrate(info);
    }

    /// <summary>Reads <c>query-migrate</c>'s answer.</summary>
    /// <param name="info">The answer.</param>
    /// <returns>The progress.</returns>
    public static ProgressSnapshot FromQueryMigrate(JsonElement info)
    {
        var status = info.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "none";
        long transferred = 0, total = 0;
        if (info.TryGetProperty("ram", out var ram) && ram.ValueKind == JsonValueKind.Object)
        {
            transferred = ram.TryGetProperty("transferred", out var t) && t.TryGetInt64(out var tv) ? tv : 0;
            total = ram.TryGetProperty("total", out var a) && a.TryGetInt64(out var av) ? av : 0;
            if (ram.TryGetProperty("remaining", out var r) && r.TryGetInt64(out var remaining) && total > 0)
            {
                // transferred counts pages sent again; what is left is the better measure of how far it is.
                transferred = Math.Max(0, total - remaining);
            }
        }

        var finished = status is "completed" or "failed" or "cancelled" or "none";
        if (status == "completed")
        {
            transferred = total;
        }

        var note = status switch
        {
            "failed" => "failed" + (info.TryGetProperty("error-desc", out var e) ? ": " + e.GetString() : string.Empty),
            "none" => "no migration is running",
            _ => null,
        };
        return new ProgressSnapshot("migration", "migrate", status, transferred, total, finished, note);
    }
}
