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

    /// <summary>Gets the time between two <c>query-jobs</c> reads while progress is watched
    /// (<see cref="QmpJob.WatchAsync"/> and <see cref="QmpJob.WaitAsync(IProgress{QmpJobProgress}?, CancellationToken)"/>).</summary>
    /// <value>The default value is 500 milliseconds.</value>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets the clock for progress polling; tests pass a fake one.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
