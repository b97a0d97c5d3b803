namespace Qmp.Net.Shell.Cli;

/// <summary>The process's standard streams and environment, as the modes see them (tests pass their own).</summary>
/// <param name="In">Standard input.</param>
/// <param name="Out">Standard output: results.</param>
/// <param name="Error">Standard error: diagnostics.</param>
/// <param name="InIsTerminal">Whether standard input is a terminal.</param>
/// <param name="OutIsTerminal">Whether standard output is a terminal.</param>
/// <param name="ErrorIsTerminal">Whether standard error is a terminal.</param>
/// <param name="GetEnvironment">Reads an environment variable.</param>
internal sealed record ShellIO(
    TextReader In,
    TextWriter Out,
    TextWriter Error,
    bool InIsTerminal,
    bool OutIsTerminal,
    bool ErrorIsTerminal,
    Func<string, string?> GetEnvironment)
{
    /// <summary>Gets the real console.</summary>
    /// <returns>The process's streams.</returns>
    public static ShellIO FromConsole() => new(
        Console.In,
        Console.Out,
        Console.Error,
        !Console.IsInputRedirected,
        !Console.IsOutputRedirected,
        !Console.IsErrorRedirected,
        Environment.GetEnvironmentVariable);
}
