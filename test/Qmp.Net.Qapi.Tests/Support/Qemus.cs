using System.Diagnostics;
using Qmp.Net.Qemu;

namespace Qmp.Net.Qapi.Tests.Support;

/// <summary>A QEMU the tests run against: Debian's 7.2 on PATH, and the 10.0.2 that .ci/qemu10.sh unpacks.</summary>
/// <param name="Label">The generation, <c>7.2</c> or <c>10.0</c>.</param>
public sealed record QemuUnderTest(string Label)
{
    /// <summary>Gets the binary, or null when this QEMU is not on the machine.</summary>
    public string? Binary => Label == "10.0" ? Qemus.Qemu10Binary : Qemus.SystemBinary;

    /// <summary>Gets the arguments every start needs (<c>-L</c> for the unpacked QEMU's firmware).</summary>
    public IReadOnlyList<string> BaseArguments => Label == "10.0" && Binary is { } b
        ? ["-L", Path.GetFullPath(Path.Combine(Path.GetDirectoryName(b)!, "..", "share", "qemu"))]
        : [];

    public override string ToString() => "QEMU " + Label;

    /// <summary>Starts this QEMU (monitor only, paused, plus <paramref name="extra"/>), or ignores / fails the test when
    /// it is missing (<c>QMP_REQUIRE_QEMU=1</c>, as in CI).</summary>
    public async Task<QemuProcess> StartAsync(params string[] extra)
    {
        if (Binary is null)
        {
            var message = Label == "10.0"
                ? "QEMU 10.0 was not found: run 'bash .ci/qemu10.sh' (or set QMP_QEMU10 to its qemu-system-x86_64)."
                : "qemu-system-x86_64 is not installed: 'sudo apt-get install qemu-system-x86'.";
            if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
            {
                Assert.Fail(message + " (QMP_REQUIRE_QEMU=1)");
            }

            Assert.Ignore(message);
        }

        Qemus.NoteRun(this);
        var machine = extra.Contains("-machine") ? [] : new[] { "-machine", "none" };
        return await QemuProcess.StartAsync(new QemuStartOptions
        {
            Binary = Binary!,
            Arguments = [.. BaseArguments, .. machine, "-nodefaults", "-display", "none", "-S", .. extra],
        }).WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>Finds the QEMUs.</summary>
public static class Qemus
{
    private static readonly HashSet<string> s_ran = [];

    /// <summary>Gets both generations, for <c>TestCaseSource</c>.</summary>
    public static IEnumerable<QemuUnderTest> All => [new("7.2"), new("10.0")];

    internal static string? SystemBinary { get; } = FindOnPath("qemu-system-x86_64");

    internal static string? Qemu10Binary { get; } = FindQemu10();

    /// <summary>Gets the QEMUs the tests of this run started.</summary>
    public static IReadOnlyCollection<string> Ran
    {
        get
        {
            lock (s_ran)
            {
                return [.. s_ran];
            }
        }
    }

    internal static void NoteRun(QemuUnderTest qemu)
    {
        lock (s_ran)
        {
            if (s_ran.Add($"{qemu.Label}: {qemu.Binary}"))
            {
                TestContext.Progress.WriteLine($"Qmp.Net.Qapi.Tests run against QEMU {qemu.Label} ({qemu.Binary})");
            }
        }
    }

    private static string? FindQemu10()
    {
        if (Environment.GetEnvironmentVariable("QMP_QEMU10") is { Length: > 0 } set)
        {
            return File.Exists(set) ? set : null;
        }

        var cache = Environment.GetEnvironmentVariable("QMP_CACHE_DIR") is { Length: > 0 } c ? c : "/var/cache/qmp-net";
        var path = Path.Combine(cache, "qemu-10.0.2", "usr", "bin", "qemu-system-x86_64");
        return File.Exists(path) ? path : null;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}

/// <summary>Says, at the end of the run, which QEMUs the tests ran against.</summary>
[SetUpFixture]
public sealed class QemuReport
{
    [OneTimeTearDown]
    public void Report() => TestContext.Progress.WriteLine("Qmp.Net.Qapi.Tests ran against: " + (Qemus.Ran.Count == 0 ? "no QEMU" : string.Join("; ", Qemus.Ran)));
}
