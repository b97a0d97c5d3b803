using System.Diagnostics;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>A qemu-storage-daemon generation the storage workflows run against, with the qemu-img and qemu-io of the same
/// build and the system emulator of the same generation: Debian's 7.2 (<c>/usr/bin</c>, package qemu-system-common), and
/// the 10.0.2 that .ci/storage10.sh unpacks from bookworm-backports' qemu-utils (<c>QMP_STORAGE_DAEMON10</c>, or
/// <c>${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-utils-10.0.2</c>).</summary>
/// <param name="Label">The generation, <c>7.2</c> or <c>10.0</c>.</param>
public sealed record StorageDaemonGeneration(string Label)
{
    private static readonly Lazy<string?> s_daemon10 = new(FindDaemon10);

    /// <summary>Gets both generations, for <c>TestFixtureSource</c>.</summary>
    public static IEnumerable<StorageDaemonGeneration> All => [new("7.2"), new("10.0")];

    /// <summary>Gets the daemon binary, or null when this generation is not on the machine.</summary>
    public string? Daemon => Label == "10.0" ? s_daemon10.Value : QemuFixture.Find("qemu-storage-daemon");

    /// <summary>Gets the system emulator of the same generation (for the vhost-user-blk VM).</summary>
    public QemuGeneration Emulator => new(Label);

    /// <summary>The daemon, or ignores / fails the test when it is missing (<c>QMP_REQUIRE_QEMU=1</c>, as in CI).</summary>
    public string Require()
    {
        if (Daemon is { } daemon)
        {
            return daemon;
        }

        var message = Label == "10.0"
            ? "qemu-storage-daemon 10.0 was not found: run 'bash .ci/storage10.sh' (or set QMP_STORAGE_DAEMON10 to its qemu-storage-daemon)."
            : "qemu-storage-daemon is not installed: 'sudo apt-get install qemu-system-common'.";
        if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
        {
            Assert.Fail(message + " (QMP_REQUIRE_QEMU=1)");
        }

        Assert.Ignore(message);
        return null!;
    }

    /// <summary>A tool of the daemon's build (<c>qemu-img</c>, <c>qemu-io</c>) from the daemon's own folder.</summary>
    public string Tool(string name) => Path.Combine(Path.GetDirectoryName(Require())!, name);

    /// <summary>Starts this daemon through <see cref="StorageDaemonProcess"/>.</summary>
    public Task<StorageDaemonProcess> StartAsync(StorageDaemonStartOptions options, CancellationToken cancellationToken) =>
        StorageDaemonProcess.StartAsync(options with { Binary = Require() }, cancellationToken);

    /// <summary>Runs a tool of this build to its end and returns its exit code and output (stdout then stderr).</summary>
    public async Task<(int ExitCode, string Output)> RunToolAsync(string tool, CancellationToken cancellationToken, params string[] arguments)
    {
        var info = new ProcessStartInfo(Tool(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public override string ToString() => "qemu-storage-daemon " + Label;

    private static string? FindDaemon10()
    {
        if (Environment.GetEnvironmentVariable("QMP_STORAGE_DAEMON10") is { Length: > 0 } set)
        {
            return File.Exists(set) ? set : null;
        }

        var cache = Environment.GetEnvironmentVariable("QMP_CACHE_DIR") is { Length: > 0 } c ? c : "/var/cache/qmp-net";
        var path = Path.Combine(cache, "qemu-utils-10.0.2", "usr", "bin", "qemu-storage-daemon");
        return File.Exists(path) ? path : null;
    }
}
