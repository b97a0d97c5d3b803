namespace Qmp.Net.Shell.Jobs;

/// <summary>The progress of one job, from <c>query-jobs</c> and the job events.</summary>
internal sealed class JobProgressSource : IProgressSource
{
    private readonly JobTracker _tracker;
    private readonly string _id;

    public JobProgressSource(JobTracker tracker, string id)
    {
        _tracker = tracker;
        _id = id;
    }

    public Task Changed => _tracker.Changed;

    public async Task<ProgressSnapshot> PollAsync(CancellationToken cancellationToken)
    {
        await _tracker.PollAsync(cancellationToken).ConfigureAwait(false);
        var job = _tracker.Get(_id) ?? new JobInfo(_id, "job", "gone", 0, 0, null);
        var note = job.Error is not null
            ? "failed: " + job.Error
            : job.Status switch
            {
                "ready" => $"ready: 'job-complete id={_id}' finishes it, 'job-cancel id={_id}' drops it",
                "concluded" => $"concluded: 'job-dismiss id={_id}' removes it",
                "pending" => $"pending: 'job-finalize id={_id}'",
                _ => null,
            };
        return new ProgressSnapshot(_id, job.Type, job.Status, job.Current, job.Total, job.Settled || job.Error is not null, note);
    }
}
