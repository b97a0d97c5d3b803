namespace Qmp.Net.Shell.Tests.Support;

/// <summary>Skips a test whose program (QEMU, tmux) is missing, unless <c>QMP_REQUIRE_QEMU=1</c> says it must run (CI).</summary>
internal static class Requirements
{
    public static void Need(string program, string package)
    {
        if (OnPath(program))
        {
            return;
        }

        var message = $"{program} is not installed (on Debian or Ubuntu: sudo apt-get install {package}).";
        if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
        {
            Assert.Fail(message);
        }

        Assert.Ignore(message);
    }

    public static void NeedQemu() => Need("qemu-system-x86_64", "qemu-system-x86");

    public static void NeedTmux() => Need("tmux", "tmux");

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, program)));
}
