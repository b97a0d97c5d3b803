using System.Diagnostics;
using System.Text;

namespace Qmp.Net.Shell.Tests.Support;

/// <summary>The built <c>qmp</c> tool (copied next to the tests by the project reference) and how to run it.</summary>
internal static class Tool
{
    /// <summary>Gets the tool's entry assembly.</summary>
    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "qmp.dll");

    /// <summary>Gets the dotnet host that runs it.</summary>
    public static string DotNet { get; } = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>Runs the tool to its end with standard input, output and error redirected (so it sees no terminal).</summary>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="stdin">What to write to its standard input (it is closed afterwards).</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="timeout">How long it may take.</param>
    /// <returns>Its exit code and output.</returns>
    public static async Task<ToolResult> RunAsync(IEnumerable<string> arguments, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        using var process = Start(arguments, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"qmp {string.Join(' ', arguments)} did not end: {await stdout}{await stderr}");
        }

        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the tool with redirected streams.</summary>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <returns>The process.</returns>
    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(DotNet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["QMP_HISTORY_FILE"] = Path.Combine(Path.GetTempPath(), "qmp-shell-tests-unused-history");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info)!;
    }

    /// <summary>Quotes a word for sh.</summary>
    /// <param name="word">The word.</param>
    /// <returns>The quoted word.</returns>
    public static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>How a run of the tool ended.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error.</param>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
