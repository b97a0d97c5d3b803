namespace Qmp.Net.Shell.Jobs;

/// <summary>One look at something that takes long.</summary>
/// <param name="Label">What it is (a job id, "migration").</param>
/// <param name="Kind">Its kind (mirror, backup, ...).</param>
/// <param name="Status">Its status.</param>
/// <param name="Current">Work done.</param>
/// <param name="Total">Work in all (0 when not known yet).</param>
/// <param name="Finished">Whether it has stopped moving (ended, failed, or ready to complete).</param>
/// <param name="Note">What to tell the user about it, if anything.</param>
internal sealed record ProgressSnapshot(string Label, string Kind, string Status, long Current, long Total, bool Finished, string? Note)
{
    /// <summary>Gets the share of the work done, from 0 to 1.</summary>
    public double Fraction => Total <= 0 ? (Finished && Status is "ready" or "concluded" or "completed" or "gone" ? 1 : 0) : Math.Clamp((double)Current / Total, 0, 1);
}
