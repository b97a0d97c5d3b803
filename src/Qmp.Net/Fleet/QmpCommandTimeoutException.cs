namespace Qmp.Net.Fleet;

/// <summary>A command to one VM of a <see cref="QmpFleet"/> did not complete within <see cref="QmpFleetOptions.CommandTimeout"/>.
/// The VM's connection is kept: only this command failed.</summary>
public sealed class QmpCommandTimeoutException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QmpCommandTimeoutException"/> class.</summary>
    /// <param name="name">The VM's name.</param>
    /// <param name="command">The command.</param>
    /// <param name="timeout">The timeout that elapsed.</param>
    public QmpCommandTimeoutException(string name, string command, TimeSpan timeout)
        : base($"'{command}' to VM '{name}' did not complete within {timeout.TotalMilliseconds:0} ms (the VM may be frozen or overloaded).")
    {
        Name = name;
        Command = command;
        Timeout = timeout;
    }

    /// <summary>Gets the VM's name.</summary>
    public string Name { get; }

    /// <summary>Gets the command.</summary>
    public string Command { get; }

    /// <summary>Gets the timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
