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
    /// <summary>Gets the terminal the interactive shell reads keys from and measures (the real one unless a test gives its own).</summary>
    public Editing.IShellConsole Console { get; init; } = Editing.SystemShellConsole.Instance;

    /// <summary>Gets the clock for the tool's own waits (<c>--linger</c>); tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Gets the real console.</summary>
    /// <returns>The process's streams.</returns>
    public static ShellIO FromConsole() => new(
        System.Console.In,
        System.Console.Out,
        System.Console.Error,
        !System.Console.IsInputRedirected,
        !System.Console.IsOutputRedirected,
        !System.Console.IsErrorRedirected,
        Environment.GetEnvironmentVariable);
}
