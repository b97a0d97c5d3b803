namespace Qmp.Net.Qga;

/// <summary>The guest agent did not answer a command within <see cref="QgaClientOptions.CommandTimeout"/>: no agent runs
/// in the guest, it is busy, or it hangs. The connection stays open; the next command resynchronises with the agent first,
/// so a late reply to this command is discarded, never taken for another command's.</summary>
public sealed class QgaTimeoutException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QgaTimeoutException"/> class.</summary>
    /// <param name="command">The command that was not answered.</param>
    /// <param name="timeout">How long the client waited.</param>
    public QgaTimeoutException(string command, TimeSpan timeout)
        : base(command == QgaChannel.SyncCommand
            ? $"The guest agent did not answer {command} within {timeout.TotalSeconds:0.###} s: is the agent running in the guest?"
            : $"The guest agent did not answer {command} within {timeout.TotalSeconds:0.###} s.")
    {
        Command = command;
        Timeout = timeout;
    }

    /// <summary>Gets the command that was not answered (<c>guest-sync-delimited</c> when the agent did not answer the
    /// resynchronisation that precedes a command).</summary>
    public string Command { get; }

    /// <summary>Gets how long the client waited.</summary>
    public TimeSpan Timeout { get; }
}
