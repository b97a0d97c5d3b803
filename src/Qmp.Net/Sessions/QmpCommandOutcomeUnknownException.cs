namespace Qmp.Net.Sessions;

/// <summary>The connection dropped while a command was in flight: the command may or may not have taken effect in QEMU.
/// <see cref="QmpSession"/> never sends it again; query the state to find out.</summary>
public sealed class QmpCommandOutcomeUnknownException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QmpCommandOutcomeUnknownException"/> class.</summary>
    /// <param name="command">The command whose outcome is unknown.</param>
    /// <param name="innerException">How the connection failed.</param>
    public QmpCommandOutcomeUnknownException(string command, Exception innerException)
        : base($"The QMP connection dropped while '{command}' was in flight: it may or may not have taken effect, and it is not sent again. Query the state to find out. ({innerException?.Message})", innerException)
    {
        Command = command;
    }

    /// <summary>Gets the command whose outcome is unknown.</summary>
    public string Command { get; }
}
