using Qmp.Net.Jobs;

namespace Qmp.Net.Shell.Jobs;

/// <summary>The progress of one job, from the observing <see cref="QmpJobManager"/>'s handle: its status from the job
/// events, its figures from <c>query-jobs</c>, its outcome from <see cref="QmpJob.Completion"/>.</summary>
internal sealed class JobProgressSource : IProgressSource
{
    private readonly JobWatcher _watcher;
    private readonly QmpJob _job;

    public JobProgressSource(JobWatcher watcher, QmpJob job)
    {
        _watcher = watcher;
        _job = job;
    }

    public Task Changed => _watcher.Changed;

    public async Task<ProgressSnapshot> PollAsync(CancellationToken cancellationToken)
    {
        if (!_job.Completion.IsCompleted)
        {
            try
            {
                await _job.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (QmpErrorException)
            {
                // No query-jobs: the events alone tell the status.
            }
        }

        return Snapshot(_job);
    }

    /// <summary>What to show of a job handle.</summary>
    /// <param name="job">The handle.</param>
    /// <returns>The snapshot.</returns>
    public static ProgressSnapshot Snapshot(QmpJob job)
    {
        var progress = job.Progress;
        var id = job.Id;
        var error = Error(job);
        var status = progress.Status switch
        {
            QmpJobStatus.Null => "gone",
            QmpJobStatus.Undefined => "?",
            var s => s.ToString().ToLowerInvariant(),
        };
        var note = error is not null
            ? "failed: " + error
            : progress.Status switch
            {
                QmpJobStatus.Ready => $"ready: 'job-complete id={id}' finishes it, 'job-cancel id={id}' drops it",
                QmpJobStatus.Concluded => $"concluded: 'job-dismiss id={id}' removes it",
                QmpJobStatus.Pending => $"pending: 'job-finalize id={id}'",
                _ => null,
            };
        var settled = job.Completion.IsCompleted
            || progress.Status is QmpJobStatus.Ready or QmpJobStatus.Concluded or QmpJobStatus.Null or QmpJobStatus.Aborting;
        var type = job.Type.Length > 0 ? job.Type : "job";
        return new ProgressSnapshot(id, type, status, progress.Current, progress.Total, settled, note);
    }

    private static string? Error(QmpJob job)
    {
        if (!job.Completion.IsFaulted)
        {
            return null;
        }

        return job.Completion.Exception?.InnerException switch
        {
            QmpJobException { QemuError: { } text } => text,
            QmpJobException { WasCancelled: true } => "cancelled",
            QmpJobException => "failed",
            { } other => other.Message,
            null => "failed",
        };
    }
}
