namespace Qmp.Net;

/// <summary>The greeting a QMP server sends first: its version and the optional capabilities it offers.</summary>
/// <param name="Version">The server's version.</param>
/// <param name="Capabilities">The capabilities offered (QEMU offers <c>oob</c> on monitors that run in its I/O thread).</param>
public sealed record QmpGreeting(QmpVersion Version, IReadOnlyList<string> Capabilities)
{
    /// <inheritdoc />
    public override string ToString() => $"QMP {Version} [{string.Join(", ", Capabilities)}]";
}
