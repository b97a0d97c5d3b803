using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>Finds QEMU for the integration tests and keeps track of every QEMU they start, so none outlives the run.</summary>
internal static class QemuFixture
{
    public const string Binary = "qemu-system-x86_64";
    public const string Package = "qemu-system-x86";

    /// <summary>The arguments of a monitor-only QEMU that starts in milliseconds: no machine, no devices, no display, paused.</summary>
    public static readonly IReadOnlyList<string> MonitorOnly = ["-machine", "none", "-nodefaults", "-display", "none", "-S"];

    private static readonly ConcurrentDictionary<int, QemuProcess> s_started = new();
    private static readonly Lazy<string?> s_path = new(() => Find(Binary));

    /// <summary>Gets the full path of qemu-system-x86_64, or null when it is not installed.</summary>
    public static string? Path => s_path.Value;

    /// <summary>Returns the QEMU path; when QEMU is missing, ignores the test, or fails it when QMP_REQUIRE_QEMU=1 (CI).</summary>
    public static string Require()
    {
        if (Path is { } path)
        {
            return path;
        }

        var message = $"{Binary} is not installed: install it with 'sudo apt-get install {Package}' to run the integration tests.";
        if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
        {
            Assert.Fail(message + " (QMP_REQUIRE_QEMU=1 makes a missing QEMU a failure.)");
        }

        Assert.Ignore(message);
        return null!;
    }

    /// <summary>Starts a monitor-only QEMU (plus <paramref name="extra"/> arguments) through <see cref="QemuProcess"/>.</summary>
    public static Task<QemuProcess> StartAsync(params string[] extra) => StartAsync(null, null, extra);

    /// <summary>Starts a monitor-only QEMU with the given client options and, optionally, the caller's own monitor endpoint.</summary>
    public static async Task<QemuProcess> StartAsync(QmpClientOptions? clientOptions, QmpEndpoint? endpoint, params string[] extra)
    {
        Require();
        var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Binary = Binary,
            Arguments = [.. MonitorOnly, .. extra],
            ClientOptions = clientOptions,
            Endpoint = endpoint,
        }).WaitAsync(TimeSpan.FromSeconds(30));
        Track(qemu);
        return qemu;
    }

    /// <summary>Remembers a QEMU so that the run's last teardown stops it if a test could not.</summary>
    public static void Track(QemuProcess qemu) => s_started[qemu.ProcessId] = qemu;

    /// <summary>Stops every QEMU still running (the safety net behind each test's own <c>await using</c>).</summary>
    public static async Task StopAllAsync()
    {
        foreach (var qemu in s_started.Values)
        {
            await qemu.DisposeAsync();
        }

        s_started.Clear();
    }

    /// <summary>Counts the QEMU processes that are children of this test process (zombies included).</summary>
    public static int CountChildQemuProcesses() => CountChildProcesses("qemu");

    /// <summary>Counts the children of this test process whose command name starts with <paramref name="prefix"/>.</summary>
    public static int CountChildProcesses(string prefix)
    {
        var self = Environment.ProcessId;
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(System.IO.Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // "pid (comm) state ppid ..." — comm may contain spaces, so parse after the last ')'.
            var close = stat.LastIndexOf(')');
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            if (open < 0 || close < open)
            {
                continue;
            }

            var comm = stat[(open + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            if (comm.StartsWith(prefix, StringComparison.Ordinal) && fields.Length > 1 &&
                int.Parse(fields[1], CultureInfo.InvariantCulture) == self)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Counts the socket directories QemuProcess creates under the temp directory.</summary>
    public static int CountSocketDirectories() =>
        Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), "qmp-net-*").Count();

    /// <summary>Returns a TCP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program and returns what it printed on stdout.</summary>
    public static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    /// <summary>Makes a private (0700) temporary directory for tests that set up their own monitor socket.</summary>
    public static string CreatePrivateDirectory() => Directory.CreateTempSubdirectory("qmp-it-").FullName;

    /// <summary>Whether the kernel lists a Unix socket at <paramref name="path"/> as listening (/proc/net/unix flag
    /// __SO_ACCEPTCON): a socket file exists from bind on, but a connect is refused until listen.</summary>
    public static bool IsListening(string path)
    {
        foreach (var line in File.ReadLines("/proc/net/unix").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 8 && fields[3] == "00010000" && fields[7] == path)
            {
                return true;
            }
        }

        return false;
    }

    public static string? Find(string binary)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>The assembly-wide safety net: whatever a test left running is stopped when the run ends.</summary>
[SetUpFixture]
public sealed class QemuSafetyNet
{
    [OneTimeTearDown]
    public async Task StopEveryQemuStillRunning() => await QemuFixture.StopAllAsync();
}
