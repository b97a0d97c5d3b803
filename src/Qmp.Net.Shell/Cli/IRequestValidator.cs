using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Cli;

/// <summary>Checks a command against what the connected QEMU accepts, before it is sent.</summary>
internal interface IRequestValidator
{
    /// <summary>Checks a command.</summary>
    /// <param name="request">The parsed command.</param>
    /// <returns>The mistakes found; empty when the command may be sent.</returns>
    IReadOnlyList<RequestProblem> Check(QmpRequest request);
}
