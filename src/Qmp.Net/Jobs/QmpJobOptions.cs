namespace Qmp.Net.Jobs;

/// <summary>How a <see cref="QmpJobManager"/> treats the jobs it starts and watches.</summary>
public sealed record QmpJobOptions
{
    /// <summary>Gets the default options.</summary>
    public static QmpJobOptions Default { get; } = new();

    /// <summary>Gets a value indicating whether a concluded job is dismissed (<c>job-dismiss</c>) by the manager once its
    /// outcome has been read. Jobs are started with <c>auto-dismiss=false</c> where the command has that member, so that
    /// QEMU keeps the error text until it has been read.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool DismissConcludedJobs { get; init; } = true;

    /// <summary>Gets a value indicating whether the manager only watches: it follows every job it sees (from the job
    /// events and from <see cref="QmpJobManager.AttachAsync"/>'s <c>query-jobs</c>), including jobs another program or a
    /// person started, and never sends <c>job-dismiss</c>, <c>job-finalize</c> or <c>job-cancel</c> on its own.
    /// <see cref="QmpJobManager.StartAsync"/> is refused, <see cref="DismissConcludedJobs"/> is ignored, disposing a
    /// handle dismisses nothing, and an ended job stays in <see cref="QmpJobManager.Jobs"/> until QEMU no longer has it
    /// (its <c>null</c> status, or its absence from <c>query-jobs</c>). A handle's own methods
    /// (<see cref="QmpJob.DismissAsync"/>, <see cref="QmpJob.CancelAsync"/>, ...) still do what they are asked.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ObserveOnly { get; init; }

    /// <summary>Gets the time between two <c>query-jobs</c> reads while progress is watched
    /// (<see cref="QmpJob.WatchAsync"/> and <see cref="QmpJob.WaitAsync(IProgress{QmpJobProgress}?, CancellationToken)"/>).</summary>
    /// <value>The default value is 500 milliseconds.</value>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets the clock for progress polling; tests pass a fake one.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
