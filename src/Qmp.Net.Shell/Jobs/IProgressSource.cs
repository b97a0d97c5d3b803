namespace Qmp.Net.Shell.Jobs;

/// <summary>Something whose progress the shell shows: a job, a migration.</summary>
internal interface IProgressSource
{
    /// <summary>Gets a task that completes when there may be news before the next poll (an event came).</summary>
    Task Changed { get; }

    /// <summary>Looks at it now.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What it looks like.</returns>
    Task<ProgressSnapshot> PollAsync(CancellationToken cancellationToken);
}
