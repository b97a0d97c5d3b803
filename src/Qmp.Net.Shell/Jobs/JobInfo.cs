namespace Qmp.Net.Shell.Jobs;

/// <summary>What is known of one job, from <c>query-jobs</c> and from job events.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Type">Its type (mirror, backup, commit, stream, create, ...), or "job" when not known yet.</param>
/// <param name="Status">Its status (created, running, paused, ready, standby, waiting, pending, aborting, concluded, null).</param>
/// <param name="Current">Work done (current-progress).</param>
/// <param name="Total">Work estimated in all (total-progress).</param>
/// <param name="Error">Why it failed, when it did.</param>
internal sealed record JobInfo(string Id, string Type, string Status, long Current, long Total, string? Error)
{
    /// <summary>Gets whether the job has stopped moving: ready to complete, concluded, gone, or failing.</summary>
    public bool Settled => Status is "ready" or "concluded" or "null" or "aborting" or "gone";
}
