using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Qmp.Net.IntegrationTests;

/// <summary>Runs test/Qmp.Net.OwnerProgram (a VM manager in miniature) under <c>setsid</c>, as systemd or a container runtime
/// would run a daemon, and reads what it reports.</summary>
internal sealed class OwnerProgram : IAsyncDisposable
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGINT = 2;
    public const int SIGHUP = 1;

    private readonly Process _process;

    private OwnerProgram(Process process) => _process = process;

    public int ProcessId => _process.Id;

    /// <summary>Gets the first line the owner printed (read by <see cref="StartAsync(string[])"/>).</summary>
    public string FirstLine { get; private set; } = string.Empty;

    /// <summary>Gets the QEMU pid and directory from the owner's "started PID DIRECTORY" line.</summary>
    public (int Pid, string Directory) Started { get; private set; }

    public static string DllPath
    {
        get
        {
            var here = AppContext.BaseDirectory.TrimEnd('/');
            var path = here.Replace("Qmp.Net.IntegrationTests", "Qmp.Net.OwnerProgram", StringComparison.Ordinal);
            return Path.Combine(path, "Qmp.Net.OwnerProgram.dll");
        }
    }

    /// <summary>Starts the owner with <paramref name="arguments"/>; returns once it printed its first line.</summary>
    public static async Task<OwnerProgram> StartAsync(params string[] arguments)
    {
        Assert.That(File.Exists(DllPath), Is.True, $"the owner program is built at {DllPath}");
        // The signals the tests send start at their default action in the owner, whatever this process inherited: under
        // nohup SIGHUP is ignored, and a background job of a non-interactive shell ignores SIGINT; an ignored signal stays
        // ignored across exec, the runtime then installs no handler for it, and the owner would survive the signal.
        var startInfo = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("--default-signal=HUP,INT,TERM");
        startInfo.ArgumentList.Add("setsid");
        startInfo.ArgumentList.Add("dotnet");
        startInfo.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var owner = new OwnerProgram(Process.Start(startInfo)!);
        var line = owner.FirstLine = await owner.ReadLineAsync();
        if (line.StartsWith("started ", StringComparison.Ordinal))
        {
            var parts = line.Split(' ', 3);
            owner.Started = (int.Parse(parts[1], CultureInfo.InvariantCulture), parts.Length > 2 ? parts[2] : string.Empty);
        }

        return owner;
    }

    /// <summary>Reads the owner's next line of output (30 s at most); fails the test with its stderr when it ends first.</summary>
    public async Task<string> ReadLineAsync()
    {
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null)
        {
            var stderr = await _process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Fail($"The owner program ended without output; stderr: {stderr}");
        }

        return line!;
    }

    /// <summary>Writes a line to the owner's standard input.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void Signal(int signal) => Assert.That(Kill(_process.Id, signal), Is.Zero, $"kill({_process.Id}, {signal})");

    /// <summary>Waits for the owner to exit; returns its exit code (128 + n after signal n).</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
