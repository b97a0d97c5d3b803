using Qmp.Net.Introspection;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary><c>qmp ENDPOINT schema [NAME]</c>: describes a command, event or type from the connected QEMU's schema, or
/// says how much the schema holds.</summary>
internal static class SchemaMode
{
    /// <summary>Prints the description.</summary>
    /// <param name="session">The connection.</param>
    /// <param name="name">The name, or <see langword="null"/> for the overview.</param>
    /// <param name="io">Where to print.</param>
    /// <param name="output">Colours for standard output.</param>
    /// <param name="error">Colours for standard error.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>0, or 2 when the schema has no such name, 1 when QEMU refused <c>query-qmp-schema</c>.</returns>
    public static async Task<int> RunAsync(ShellSession session, string? name, ShellIO io, Palette output, Palette error, CancellationToken cancellationToken)
    {
        QmpSchema schema;
        try
        {
            schema = await session.Client.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QmpErrorException e)
        {
            await io.Error.WriteLineAsync(Reporter.Error(e.ErrorClass + ": " + e.Description, error)).ConfigureAwait(false);
            return ExitCodes.CommandFailed;
        }

        var describer = new SchemaDescriber(schema, output);
        var width = io.OutIsTerminal ? Math.Max(40, io.Console.WindowWidth) : 120;
        if (name is null)
        {
            await io.Out.WriteLineAsync(describer.Overview(width)).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        if (describer.Describe(name, width) is { } text)
        {
            await io.Out.WriteLineAsync(text).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var similar = describer.Similar(name);
        await io.Error.WriteLineAsync(Reporter.Error(
            $"'{name}' is no command, event or type of this QEMU" + (similar.Count > 0 ? "; similar: " + string.Join(", ", similar) : string.Empty),
            error)).ConfigureAwait(false);
        return ExitCodes.UsageOrConnection;
    }
}
