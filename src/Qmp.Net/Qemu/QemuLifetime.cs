namespace Qmp.Net.Qemu;

/// <summary>Whether a QEMU started by <see cref="QemuProcess"/> ends with the .NET process that started it.</summary>
public enum QemuLifetime
{
    /// <summary>QEMU is stopped when its owner ends: a normal exit and SIGTERM, SIGINT or SIGHUP stop it (<c>quit</c>, then
    /// SIGTERM, then SIGKILL) and remove its directory; if the owner dies in a way no code can see (SIGKILL, a crash), the
    /// kernel sends QEMU SIGTERM (see docs/qemu-process.md for exactly what is guaranteed).</summary>
    StopWithOwner,

    /// <summary>QEMU outlives its owner on purpose: it runs in a session of its own, keeps its monitor in the caller's
    /// <see cref="QemuStartOptions.StateDirectory"/>, and can be found again with
    /// <see cref="QemuProcess.AttachAsync(string, QmpClientOptions?, CancellationToken)"/>. Only
    /// <see cref="QemuProcess.StopAsync(TimeSpan, CancellationToken)"/> stops it; disposing only lets go of it.</summary>
    Detached,
}
