using Qmp.Net.Jobs;
using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Jobs;

/// <summary>The shell's view of QEMU's jobs: the library's <see cref="QmpJobManager"/> in observe-only mode (it follows
/// every job, including those the user starts by hand, and never dismisses, finalizes or cancels one), plus a signal that
/// wakes the progress display at each job event.</summary>
internal sealed class JobWatcher : IAsyncDisposable
{
    private static readonly HashSet<string> s_jobCommands = new(StringComparer.Ordinal)
    {
        "blockdev-mirror", "drive-mirror", "blockdev-backup", "drive-backup", "block-commit", "block-stream",
        "blockdev-create", "blockdev-amend", "x-blockdev-amend", "snapshot-save", "snapshot-load", "snapshot-delete",
    };

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobWatcher(QmpClient client, TimeProvider? time = null)
    {
        Manager = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true, TimeProvider = time ?? TimeProvider.System });
    }

    /// <summary>Gets the observing job manager.</summary>
    public QmpJobManager Manager { get; }

    /// <summary>Gets a task that completes at the next job event.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Tells whether a command starts a job whose progress is worth showing.</summary>
    /// <param name="command">The command name.</param>
    /// <returns><see langword="true"/> for blockdev-mirror, blockdev-backup, block-commit, block-stream, drive-mirror, ...</returns>
    public static bool StartsJob(string command) => s_jobCommands.Contains(command);

    /// <summary>Wakes the progress display when an event is about a job.</summary>
    /// <param name="event">Any event.</param>
    public void OnEvent(QmpEvent @event)
    {
        if (@event.Name is "JOB_STATUS_CHANGE" or "BLOCK_JOB_READY" or "BLOCK_JOB_COMPLETED" or "BLOCK_JOB_CANCELLED"
            or "BLOCK_JOB_ERROR" or "BLOCK_JOB_PENDING")
        {
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>Reads <c>query-jobs</c> through the manager (which reconciles its handles with it).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The jobs QEMU has now; none when QEMU has no <c>query-jobs</c>.</returns>
    public async Task<IReadOnlyList<QmpJob>> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Manager.AttachAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QmpErrorException)
        {
            return [];
        }
    }

    /// <summary>Gets the ids of the jobs QEMU has now and of those the manager follows.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The ids.</returns>
    public async Task<IReadOnlySet<string>> SnapshotIdsAsync(CancellationToken cancellationToken)
    {
        var ids = (await ListAsync(cancellationToken).ConfigureAwait(false)).Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        ids.UnionWith(Manager.Jobs.Select(j => j.Id));
        return ids;
    }

    /// <summary>Finds the jobs a command started: those QEMU has now and had not before, and the job the command named
    /// (<c>job-id</c>, else <c>device</c>) when the manager saw it even though it already ran to its end.</summary>
    /// <param name="request">The command that was sent.</param>
    /// <param name="before">The job ids before it.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new jobs' handles.</returns>
    public async Task<IReadOnlyList<QmpJob>> NewJobsAsync(QmpRequest request, IReadOnlySet<string> before, CancellationToken cancellationToken)
    {
        var jobs = (await ListAsync(cancellationToken).ConfigureAwait(false)).Where(j => !before.Contains(j.Id)).ToList();
        var named = request.Arguments?["job-id"]?.GetValue<string>() ?? request.Arguments?["device"]?.ToString();
        if (named is not null && !before.Contains(named) && jobs.All(j => j.Id != named)
            && Manager.Jobs.FirstOrDefault(j => j.Id == named) is { } seen)
        {
            jobs.Add(seen);
        }

        return jobs;
    }

    /// <summary>Stops following jobs (none is touched).</summary>
    /// <returns>A task that completes when the manager has stopped.</returns>
    public ValueTask DisposeAsync() => Manager.DisposeAsync();
}
