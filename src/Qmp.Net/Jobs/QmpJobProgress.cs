namespace Qmp.Net.Jobs;

/// <summary>A job's progress as <c>query-jobs</c> reports it.</summary>
/// <param name="Status">The job's status when the figures were read.</param>
/// <param name="Current">The work done so far, in the job's own unit (bytes for block jobs).</param>
/// <param name="Total">The estimated total work; it can grow while the job runs (a mirror's guest keeps writing).</param>
public readonly record struct QmpJobProgress(QmpJobStatus Status, long Current, long Total)
{
    /// <summary>Gets the fraction done, from 0 to 1 (0 while <see cref="Total"/> is 0).</summary>
    public double Fraction => Total <= 0 ? 0 : Math.Clamp((double)Current / Total, 0, 1);
}
