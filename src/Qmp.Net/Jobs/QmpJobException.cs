namespace Qmp.Net.Jobs;

/// <summary>A QEMU job ended without success: it failed (QEMU's error text in <see cref="QemuError"/>), was cancelled,
/// or vanished without saying how it ended.</summary>
public sealed class QmpJobException : QmpException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="jobType">The job's type (<c>mirror</c>, <c>backup</c>, <c>snapshot-save</c>, ...), or an empty string when unknown.</param>
    /// <param name="finalStatus">The last status the job was seen in.</param>
    /// <param name="qemuError">QEMU's own error text, or <see langword="null"/> when QEMU gave none.</param>
    /// <param name="wasCancelled">Whether the job ended because it was cancelled.</param>
    public QmpJobException(string jobId, string jobType, QmpJobStatus finalStatus, string? qemuError, bool wasCancelled)
        : base(FormatMessage(jobId, jobType, finalStatus, qemuError, wasCancelled))
    {
        JobId = jobId;
        JobType = jobType;
        FinalStatus = finalStatus;
        QemuError = qemuError;
        WasCancelled = wasCancelled;
    }

    /// <summary>Gets the job's id.</summary>
    public string JobId { get; }

    /// <summary>Gets the job's type (<c>mirror</c>, <c>backup</c>, <c>stream</c>, <c>commit</c>, <c>create</c>,
    /// <c>snapshot-save</c>, ...), or an empty string when it was never learned.</summary>
    public string JobType { get; }

    /// <summary>Gets the last status the job was seen in (usually <see cref="QmpJobStatus.Concluded"/>).</summary>
    public QmpJobStatus FinalStatus { get; }

    /// <summary>Gets QEMU's own error text (from <c>query-jobs</c> or <c>BLOCK_JOB_COMPLETED</c>), or
    /// <see langword="null"/> when QEMU gave none.</summary>
    public string? QemuError { get; }

    /// <summary>Gets a value indicating whether the job ended because it was cancelled.</summary>
    public bool WasCancelled { get; }

    private static string FormatMessage(string jobId, string jobType, QmpJobStatus finalStatus, string? qemuError, bool wasCancelled)
    {
        var type = jobType.Length == 0 ? "job" : jobType + " job";
        var what = wasCancelled ? "was cancelled" : "failed";
        return qemuError is null
            ? $"The {type} '{jobId}' {what} (final status {QmpJobStatusNames.Format(finalStatus)}); QEMU gave no error text."
            : $"The {type} '{jobId}' {what} (final status {QmpJobStatusNames.Format(finalStatus)}): {qemuError}";
    }
}
