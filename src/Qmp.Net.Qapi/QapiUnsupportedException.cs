namespace Qmp.Net.Qapi;

/// <summary>A typed command was refused before it was sent: the connected QEMU lacks the command, an argument member, or
/// an enum value that the arguments use (according to its <c>query-qmp-schema</c>).</summary>
public sealed class QapiUnsupportedException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QapiUnsupportedException"/> class.</summary>
    /// <param name="command">The command.</param>
    /// <param name="member">The member path from the arguments' root (<c>file.driver</c>), or an empty string for the command itself.</param>
    /// <param name="qemuVersion">The connected QEMU's version, e.g. <c>7.2.22</c>.</param>
    /// <param name="message">The message.</param>
    public QapiUnsupportedException(string command, string member, string qemuVersion, string message)
        : base(message)
    {
        Command = command;
        Member = member;
        QemuVersion = qemuVersion;
    }

    /// <summary>Gets the command that was refused.</summary>
    public string Command { get; }

    /// <summary>Gets the member path (e.g. <c>file.drop-cache</c>) the connected QEMU lacks, or an empty string when it
    /// lacks the command itself.</summary>
    public string Member { get; }

    /// <summary>Gets the connected QEMU's version.</summary>
    public string QemuVersion { get; }
}
