using System.Diagnostics;
using System.Net.Sockets;

namespace Qmp.Net.Qapi.Tests;

/// <summary>Debian's real <c>qemu-ga</c> running on this host (<c>-m unix-listen</c>), with every command blocked
/// (<c>-b</c>) except a few that only read, so nothing the tests send can change the machine.</summary>
internal sealed class QgaRealAgent : IAsyncDisposable
{
    /// <summary>The commands left enabled: the sync commands and read-only queries.</summary>
    public static readonly IReadOnlyList<string> Allowed =
    [
        "guest-sync-delimited", "guest-sync", "guest-ping", "guest-info", "guest-get-osinfo", "guest-get-host-name",
        "guest-get-time", "guest-get-timezone", "guest-get-users", "guest-get-vcpus", "guest-network-get-interfaces",
        "guest-get-memory-block-info", "guest-fsfreeze-status", "guest-get-diskstats", "guest-get-cpustats",
    ];

    private readonly Process _process;
    private readonly string _directory;

    private QgaRealAgent(Process process, string directory, string binary)
    {
        _process = process;
        _directory = directory;
        Binary = binary;
    }

    public string Binary { get; }

    public QmpEndpoint Endpoint => QmpEndpoint.Unix(Path.Combine(_directory, "qga.sock"));

    public static async Task<QgaRealAgent> StartAsync()
    {
        string[] dirs = ["/usr/sbin", "/usr/bin", .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)];
        var binary = dirs.Select(dir => Path.Combine(dir, "qemu-ga")).FirstOrDefault(File.Exists);
        if (binary is null)
        {
            const string message = "qemu-ga is not installed: 'sudo apt-get install qemu-guest-agent' runs the typed guest agent tests.";
            if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
            {
                Assert.Fail(message + " (QMP_REQUIRE_QEMU=1)");
            }

            Assert.Ignore(message);
        }

        var known = (await RunAsync(binary!, "-b", "help")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var blocked = known.Where(c => c.StartsWith("guest-", StringComparison.Ordinal) && !Allowed.Contains(c)).ToList();
        Assert.That(blocked, Does.Contain("guest-shutdown").And.Contain("guest-exec"), "qemu-ga -b help did not list its commands");

        var directory = Directory.CreateTempSubdirectory("qga-typed-").FullName;
        var socket = Path.Combine(directory, "qga.sock");
        var start = new ProcessStartInfo(binary!) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-m", "unix-listen", "-p", socket, "-t", directory, "-f", Path.Combine(directory, "qga.pid"), "-b", string.Join(',', blocked) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var agent = new QgaRealAgent(process, directory, binary!);

        // qemu-ga gives no sign when it listens: try to connect until it accepts (a connect is refused between bind and listen).
        var deadline = Stopwatch.StartNew();
        while (!CanConnect(socket))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                await agent.DisposeAsync();
                Assert.Fail($"qemu-ga did not listen on {socket} (exited: {process.HasExited})");
            }

            await Task.Delay(20);
        }

        return agent;
    }

    public static async Task<string> RunAsync(string binary, params string[] arguments)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + await error;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static bool CanConnect(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
