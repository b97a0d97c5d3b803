namespace Snippets;

/// <summary>Whether the snippets that start a real QEMU can run here.</summary>
internal static class Qemu
{
    /// <summary>Ignores the calling test when qemu-system-x86_64 is not on PATH, or fails it when QMP_REQUIRE_QEMU=1 (CI).</summary>
    public static void Require()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "qemu-system-x86_64")));
        if (onPath)
        {
            return;
        }

        const string Advice = "qemu-system-x86_64 is not on PATH (sudo apt-get install qemu-system-x86)";
        if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
        {
            Assert.Fail(Advice);
        }

        Assert.Ignore(Advice);
    }
}
