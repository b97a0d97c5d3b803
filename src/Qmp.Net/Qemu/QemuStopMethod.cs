namespace Qmp.Net.Qemu;

/// <summary>How <see cref="QemuProcess.StopAsync(TimeSpan, CancellationToken)"/> ended the QEMU process.</summary>
public enum QemuStopMethod
{
    /// <summary>The process had already exited before the stop began.</summary>
    AlreadyExited,

    /// <summary>QEMU exited after <c>quit</c> over QMP, within the grace period.</summary>
    Quit,

    /// <summary>QEMU did not exit after <c>quit</c>; it exited after SIGTERM.</summary>
    Terminated,

    /// <summary>QEMU exited neither after <c>quit</c> nor after SIGTERM (or the stop was cancelled); it was killed with SIGKILL.</summary>
    Killed,
}
