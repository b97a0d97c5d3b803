using System.Collections.Concurrent;
using System.Text.Json;
using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Jobs;

/// <summary>Follows QEMU's jobs: their status from <c>JOB_STATUS_CHANGE</c> and the block job events, their progress
/// from <c>query-jobs</c> (<c>current-progress</c> / <c>total-progress</c>).</summary>
internal sealed class JobTracker
{
    private static readonly HashSet<string> s_jobCommands = new(StringComparer.Ordinal)
    {
        "blockdev-mirror", "drive-mirror", "blockdev-backup", "drive-backup", "block-commit", "block-stream",
        "blockdev-create", "blockdev-amend", "x-blockdev-amend", "snapshot-save", "snapshot-load", "snapshot-delete",
    };

    private readonly QmpClient _client;
    private readonly ConcurrentDictionary<string, JobInfo> _jobs = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobTracker(QmpClient client) => _client = client;

    /// <summary>Gets a task that completes at the next job event.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Tells whether a command starts a job whose progress is worth showing.</summary>
    /// <param name="command">The command name.</param>
    /// <returns><see langword="true"/> for blockdev-mirror, blockdev-backup, block-commit, block-stream, drive-mirror, ...</returns>
    public static bool StartsJob(string command) => s_jobCommands.Contains(command);

    /// <summary>Gets what is known of a job.</summary>
    /// <param name="id">The job id.</param>
    /// <returns>The job, or <see langword="null"/>.</returns>
    public JobInfo? Get(string id) => _jobs.TryGetValue(id, out var job) ? job : null;

    /// <summary>Takes in a job event.</summary>
    /// <param name="event">Any event; those that are not about jobs are ignored.</param>
    public void OnEvent(QmpEvent @event)
    {
        var data = @event.Data;
        if (data.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        switch (@event.Name)
        {
            case "JOB_STATUS_CHANGE" when Text(data, "id") is { } id && Text(data, "status") is { } status:
                _jobs.AddOrUpdate(
                    id,
                    _ => new JobInfo(id, "job", status, 0, 0, null),
                    (_, job) => job with { Status = status });
                break;
            case "BLOCK_JOB_COMPLETED" or "BLOCK_JOB_READY" or "BLOCK_JOB_CANCELLED" or "BLOCK_JOB_ERROR"
                when Text(data, "device") is { } device:
                var length = Number(data, "len");
                var offset = Number(data, "offset");
                var type = Text(data, "type") ?? "job";
                var error = Text(data, "error");
                _jobs.AddOrUpdate(
                    device,
                    _ => new JobInfo(device, type, "running", offset ?? 0, length ?? 0, error),
                    (_, job) => job with
                    {
                        Type = type,
                        Current = offset ?? job.Current,
                        Total = length ?? job.Total,
                        Error = error ?? job.Error,
                    });
                break;
            default:
                return;
        }

        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Asks QEMU for its jobs and updates what is known.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The jobs QEMU has now.</returns>
    public async Task<IReadOnlyList<JobInfo>> PollAsync(CancellationToken cancellationToken)
    {
        var reply = await _client.ExecuteAsync("query-jobs", cancellationToken: cancellationToken).ConfigureAwait(false);
        var jobs = new List<JobInfo>();
        foreach (var item in reply.EnumerateArray())
        {
            var job = new JobInfo(
                Text(item, "id") ?? "?",
                Text(item, "type") ?? "job",
                Text(item, "status") ?? "?",
                Number(item, "current-progress") ?? 0,
                Number(item, "total-progress") ?? 0,
                Text(item, "error"));
            _jobs[job.Id] = job;
            jobs.Add(job);
        }

        foreach (var (id, known) in _jobs)
        {
            if (!known.Settled && jobs.All(j => j.Id != id))
            {
                // Dismissed between two looks: it ran to its end (the events said how far).
                _jobs[id] = known with { Status = "gone" };
            }
        }

        return jobs;
    }

    /// <summary>Gets the ids of QEMU's jobs now.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The ids.</returns>
    public async Task<IReadOnlySet<string>> SnapshotIdsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await PollAsync(cancellationToken).ConfigureAwait(false)).Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (QmpErrorException)
        {
            return new HashSet<string>();
        }
    }

    /// <summary>Finds the jobs a command started: those QEMU has now and had not before, and the job the command named
    /// (<c>job-id</c>, else <c>device</c>) even when it already ran to its end.</summary>
    /// <param name="request">The command that was sent.</param>
    /// <param name="before">The job ids before it.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new job ids.</returns>
    public async Task<IReadOnlyList<string>> NewJobsAsync(QmpRequest request, IReadOnlySet<string> before, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        try
        {
            ids.AddRange((await PollAsync(cancellationToken).ConfigureAwait(false)).Select(j => j.Id).Where(id => !before.Contains(id)));
        }
        catch (QmpErrorException)
        {
            // No query-jobs in this QEMU.
        }

        var named = request.Arguments?["job-id"]?.GetValue<string>() ?? request.Arguments?["device"]?.ToString();
        if (named is not null && !ids.Contains(named) && !before.Contains(named) && _jobs.ContainsKey(named))
        {
            ids.Add(named);
        }

        return ids;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;
}
