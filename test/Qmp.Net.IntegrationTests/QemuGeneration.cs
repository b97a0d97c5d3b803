using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Qmp.Net.IntegrationTests;

/// <summary>A QEMU generation the listener and descriptor tests run against: Debian's 7.2 on PATH, and the 10.0.2 that
/// .ci/qemu10.sh unpacks (<c>QMP_QEMU10</c>, or <c>${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-10.0.2</c>).</summary>
/// <param name="Label">The generation, <c>7.2</c> or <c>10.0</c>.</param>
public sealed partial record QemuGeneration(string Label)
{
    private static readonly Lazy<string?> s_qemu10 = new(FindQemu10);
    private static readonly Dictionary<string, Version> s_versions = [];
    private static readonly HashSet<string> s_announced = [];

    /// <summary>Gets both generations, for <c>TestFixtureSource</c>.</summary>
    public static IEnumerable<QemuGeneration> All => [new("7.2"), new("10.0")];

    /// <summary>Gets the binary, or null when this generation is not on the machine.</summary>
    public string? Binary => Label == "10.0" ? s_qemu10.Value : QemuFixture.Path;

    /// <summary>Gets the arguments every start needs: the monitor-only machine, and <c>-L</c> for the unpacked QEMU's firmware.</summary>
    public IReadOnlyList<string> BaseArguments => Label == "10.0" && Binary is { } b
        ? ["-L", System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(b)!, "..", "share", "qemu")), .. QemuFixture.MonitorOnly]
        : QemuFixture.MonitorOnly;

    /// <summary>The binary, or ignores / fails the test when it is missing (<c>QMP_REQUIRE_QEMU=1</c>, as in CI).</summary>
    public string Require()
    {
        if (Binary is { } binary)
        {
            lock (s_announced)
            {
                if (s_announced.Add(TestContext.CurrentContext.Test.ID))
                {
                    TestContext.Out.WriteLine($"Running against QEMU {Label}: {binary}");
                }
            }

            return binary;
        }

        var message = Label == "10.0"
            ? "QEMU 10.0 was not found: run 'bash .ci/qemu10.sh' (or set QMP_QEMU10 to its qemu-system-x86_64)."
            : "qemu-system-x86_64 is not installed: 'sudo apt-get install qemu-system-x86'.";
        if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
        {
            Assert.Fail(message + " (QMP_REQUIRE_QEMU=1)");
        }

        Assert.Ignore(message);
        return null!;
    }

    /// <summary>The version the binary prints (<c>--version</c>), read once per binary.</summary>
    public async Task<Version> VersionAsync()
    {
        var binary = Require();
        lock (s_versions)
        {
            if (s_versions.TryGetValue(binary, out var known))
            {
                return known;
            }
        }

        var match = VersionLine().Match(await QemuFixture.RunAsync(binary, "--version"));
        Assert.That(match.Success, Is.True, $"{binary} --version printed no version");
        var version = new Version(int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), int.Parse(match.Groups[3].Value));
        lock (s_versions)
        {
            s_versions[binary] = version;
        }

        return version;
    }

    /// <summary>The chardev option that makes QEMU connect again after its connection closed: <c>reconnect-ms=1000</c>
    /// from QEMU 9.2 on (where <c>reconnect</c> is deprecated), <c>reconnect=1</c> before (7.2 rejects
    /// <c>reconnect-ms</c> as an invalid parameter).</summary>
    public static string ReconnectOption(Version version) => version >= new Version(9, 2) ? "reconnect-ms=1000" : "reconnect=1";

    /// <summary>Starts this QEMU with <paramref name="extra"/> arguments, its output read and dropped.</summary>
    public Process Start(params string[] extra)
    {
        var info = new ProcessStartInfo(Require()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in BaseArguments.Concat(extra))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    public override string ToString() => "QEMU " + Label;

    private static string? FindQemu10()
    {
        if (Environment.GetEnvironmentVariable("QMP_QEMU10") is { Length: > 0 } set)
        {
            return File.Exists(set) ? set : null;
        }

        var cache = Environment.GetEnvironmentVariable("QMP_CACHE_DIR") is { Length: > 0 } c ? c : "/var/cache/qmp-net";
        var path = System.IO.Path.Combine(cache, "qemu-10.0.2", "usr", "bin", "qemu-system-x86_64");
        return File.Exists(path) ? path : null;
    }

    [GeneratedRegex(@"version (\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionLine();
}
