namespace Qmp.Net.Migration;

/// <summary>A migration's progress as <c>query-migrate</c> reports it (RAM figures; zero where QEMU gave none).</summary>
/// <param name="Status">The migration's status.</param>
/// <param name="TransferredBytes">RAM bytes sent so far (<c>ram.transferred</c>).</param>
/// <param name="RemainingBytes">RAM bytes still to send (<c>ram.remaining</c>).</param>
/// <param name="TotalBytes">The guest's RAM size (<c>ram.total</c>).</param>
/// <param name="DirtyPagesRate">Pages dirtied per second (<c>ram.dirty-pages-rate</c>).</param>
/// <param name="ExpectedDowntimeMilliseconds">QEMU's estimate of the pause at switchover (<c>expected-downtime</c>).</param>
/// <param name="TotalTimeMilliseconds">Time since the migration started (<c>total-time</c>).</param>
public readonly record struct QmpMigrationProgress(
    QmpMigrationStatus Status,
    long TransferredBytes,
    long RemainingBytes,
    long TotalBytes,
    long DirtyPagesRate,
    long ExpectedDowntimeMilliseconds,
    long TotalTimeMilliseconds)
{
    /// <summary>Gets QEMU's text for a failed migration (<c>error-desc</c>), or <see langword="null"/>.</summary>
    public string? ErrorDescription { get; init; }
}
