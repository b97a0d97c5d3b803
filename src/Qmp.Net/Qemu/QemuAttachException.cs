namespace Qmp.Net.Qemu;

/// <summary><see cref="QemuProcess.AttachAsync(string, QmpClientOptions?, CancellationToken)"/> could not attach: the state
/// directory holds no QEMU, the QEMU it recorded has exited (or its pid now belongs to another process), or its monitor
/// did not answer.</summary>
public sealed class QemuAttachException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QemuAttachException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="stateDirectory">The state directory that was tried.</param>
    /// <param name="innerException">The cause, if any.</param>
    public QemuAttachException(string message, string stateDirectory, Exception? innerException = null)
        : base(message, innerException)
    {
        StateDirectory = stateDirectory;
    }

    /// <summary>Gets the state directory that was tried.</summary>
    public string StateDirectory { get; }
}
