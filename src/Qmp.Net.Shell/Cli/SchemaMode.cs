using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary><c>qmp ENDPOINT schema [NAME]</c>.</summary>
internal static class SchemaMode
{
    public static Task<int> RunAsync(ShellSession session, string? name, ShellIO io, Palette output, Palette error, CancellationToken cancellationToken)
    {
        _ = (session, name, io, output, error, cancellationToken);
        return Task.FromResult(ExitCodes.UsageOrConnection);
    }
}
