namespace Qmp.Net.Qemu;

/// <summary>QEMU could not be started: the binary was not found, the process exited during start-up (for example on an
/// unknown <c>-machine</c> name), or its QMP monitor did not become ready within <see cref="QemuStartOptions.StartTimeout"/>.</summary>
public sealed class QemuStartException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QemuStartException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="exitCode">The process's exit code, when it exited; otherwise <see langword="null"/>.</param>
    /// <param name="stderr">What the process wrote to its standard error (empty when it never ran).</param>
    /// <param name="innerException">The cause, if any.</param>
    public QemuStartException(string message, int? exitCode, string stderr, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        Stderr = stderr ?? string.Empty;
    }

    /// <summary>Gets the exit code of the QEMU process when it exited during start-up; <see langword="null"/> when it did
    /// not run or was stopped by <see cref="QemuProcess"/> (e.g. after a timeout).</summary>
    public int? ExitCode { get; }

    /// <summary>Gets what QEMU wrote to its standard error before it failed; usually names the cause.</summary>
    public string Stderr { get; }
}
