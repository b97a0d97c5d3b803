using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Qmp.Net.Shell.Tests.Support;

/// <summary>The real <c>qmp</c> tool in a real terminal: a tmux server of its own (<c>tmux -L NAME</c>), one 120x40 window
/// running the tool; keys are typed with <c>send-keys</c> and the screen is read with <c>capture-pane</c>.</summary>
internal sealed class TmuxSession : IAsyncDisposable
{
    /// <summary>How long a wait for the screen may take before the test fails.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(20);

    /// <summary>The line the pane prints after the tool ended, followed by its exit code and "]".</summary>
    public const string ExitMarker = "[qmp exited ";

    private const string Session = "qmp";
    private readonly string _socket;
    private int _panePid;
    private string? _socketPath;

    private TmuxSession(string socket) => _socket = socket;

    /// <summary>Gets the pid of the pane's shell, whose child the tool is.</summary>
    public int PanePid => _panePid;

    /// <summary>Starts the tool in a new tmux server.</summary>
    /// <param name="arguments">The tool's arguments.</param>
    /// <param name="environment">Variables for the tool (e.g. its history file).</param>
    /// <returns>The session, once the tool has been started.</returns>
    public static async Task<TmuxSession> StartAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var session = new TmuxSession("qmp-test-" + Guid.NewGuid().ToString("N")[..10]);
        var command = new StringBuilder("exec sh -c ");
        var inner = $"{Tool.ShellQuote(Tool.DotNet)} {Tool.ShellQuote(Tool.Dll)} {string.Join(' ', arguments.Select(Tool.ShellQuote))}; " +
            $"echo \"{ExitMarker}$?]\"; exec sleep 600";
        command.Append(Tool.ShellQuote(inner));
        var args = new List<string> { "new-session", "-d", "-s", Session, "-x", "120", "-y", "40" };
        foreach (var (key, value) in environment)
        {
            args.Add("-e");
            args.Add($"{key}={value}");
        }

        args.Add("-e");
        args.Add("DOTNET_CLI_TELEMETRY_OPTOUT=1");
        args.Add(command.ToString());
        await session.TmuxAsync(args);
        var pid = await session.TmuxAsync(["display-message", "-p", "-t", Session, "#{pane_pid}"]);
        session._panePid = int.Parse(pid.Trim(), CultureInfo.InvariantCulture);
        session._socketPath = (await session.TmuxAsync(["display-message", "-p", "#{socket_path}"])).Trim();
        return session;
    }

    /// <summary>Types text literally.</summary>
    /// <param name="text">The text.</param>
    /// <returns>A task that completes when tmux has taken the keys.</returns>
    public Task TypeAsync(string text) => TmuxAsync(["send-keys", "-t", Session, "-l", "--", text]);

    /// <summary>Presses keys named as tmux names them (Enter, Tab, Up, C-d, ...).</summary>
    /// <param name="keys">The keys.</param>
    /// <returns>A task that completes when tmux has taken the keys.</returns>
    public Task PressAsync(params string[] keys) => TmuxAsync(["send-keys", "-t", Session, .. keys]);

    /// <summary>Reads the screen (wrapped lines joined, no colours).</summary>
    /// <returns>The screen's text.</returns>
    public async Task<string> CaptureAsync() => await TmuxAsync(["capture-pane", "-p", "-J", "-t", Session]);

    /// <summary>Reads the last non-blank line of the screen (where the prompt is).</summary>
    /// <returns>The line.</returns>
    public async Task<string> LastLineAsync() =>
        (await CaptureAsync()).Split('\n').Select(l => l.TrimEnd()).LastOrDefault(l => l.Length > 0) ?? string.Empty;

    /// <summary>Polls the screen until it shows what is expected, failing (with the screen) after a bounded wait.</summary>
    /// <param name="condition">What the screen must show.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="timeout">The bound (20 seconds unless given).</param>
    /// <returns>The screen that satisfied the condition.</returns>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        var limit = timeout ?? DefaultWait;
        string screen;
        while (true)
        {
            screen = await CaptureAsync();
            if (condition(screen))
            {
                return screen;
            }

            if (watch.Elapsed > limit)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"The screen did not show {what} within {limit.TotalSeconds} s. Screen:\n{screen}");
        return screen;
    }

    /// <summary>Waits until the screen contains a text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="timeout">The bound.</param>
    /// <returns>The screen.</returns>
    public Task<string> WaitForTextAsync(string text, TimeSpan? timeout = null) =>
        WaitForAsync(s => s.Contains(text, StringComparison.Ordinal), $"'{text}'", timeout);

    /// <summary>Waits until the last line of the screen is exactly a text (trailing spaces ignored).</summary>
    /// <param name="line">The text.</param>
    /// <returns>The screen.</returns>
    public Task<string> WaitForLastLineAsync(string line) =>
        WaitForAsync(s => s.Split('\n').Select(l => l.TrimEnd()).LastOrDefault(l => l.Length > 0) == line, $"the last line '{line}'");

    /// <summary>Waits until the tool has ended and returns its exit code.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> WaitForExitAsync()
    {
        var screen = await WaitForTextAsync(ExitMarker);
        var at = screen.LastIndexOf(ExitMarker, StringComparison.Ordinal) + ExitMarker.Length;
        return int.Parse(screen[at..screen.IndexOf(']', at)], CultureInfo.InvariantCulture);
    }

    /// <summary>Kills the tmux server (the tool gets SIGHUP) and makes sure nothing it started outlives it.</summary>
    /// <returns>A task that completes when every process of the session is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        var left = _panePid > 0 ? ProcessTree.Descendants(_panePid) : [];
        try
        {
            await TmuxAsync(["kill-server"]);
        }
        catch (InvalidOperationException)
        {
            // The server had already ended.
        }

        var watch = Stopwatch.StartNew();
        while (left.Any(p => ProcessTree.IsAlive(p.Pid)) && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        // A killed server leaves its socket file behind.
        if (!string.IsNullOrEmpty(_socketPath) && File.Exists(_socketPath))
        {
            File.Delete(_socketPath);
        }

        foreach (var (pid, _) in left.Where(p => ProcessTree.IsAlive(p.Pid)))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
                // Gone meanwhile.
            }
        }
    }

    private async Task<string> TmuxAsync(IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-L");
        info.ArgumentList.Add(_socket);
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add("/dev/null");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', arguments)} failed: {await error}");
        }

        return await output;
    }
}
