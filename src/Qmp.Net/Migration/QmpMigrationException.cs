namespace Qmp.Net.Migration;

/// <summary>A migration failed; <see cref="QemuError"/> holds <c>query-migrate</c>'s <c>error-desc</c>.</summary>
/// <remarks>Many failures are visible only on the destination (it exits with the reason on its stderr); the source
/// then reports a socket error here, or even <c>completed</c> (docs/workflows.md).</remarks>
public sealed class QmpMigrationException : QmpException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The final status.</param>
    /// <param name="qemuError">QEMU's error text, or <see langword="null"/> when it gave none.</param>
    /// <param name="incoming">Whether this end was the destination.</param>
    public QmpMigrationException(QmpMigrationStatus status, string? qemuError, bool incoming)
        : base(qemuError is null
            ? $"The {(incoming ? "incoming" : "outgoing")} migration ended as {status}; QEMU gave no error text."
            : $"The {(incoming ? "incoming" : "outgoing")} migration ended as {status}: {qemuError}")
    {
        Status = status;
        QemuError = qemuError;
        IsIncoming = incoming;
    }

    /// <summary>Gets the final status (usually <see cref="QmpMigrationStatus.Failed"/>).</summary>
    public QmpMigrationStatus Status { get; }

    /// <summary>Gets QEMU's error text (<c>error-desc</c>), or <see langword="null"/>.</summary>
    public string? QemuError { get; }

    /// <summary>Gets a value indicating whether this end was the destination.</summary>
    public bool IsIncoming { get; }
}
