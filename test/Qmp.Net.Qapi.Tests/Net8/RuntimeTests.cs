using System.Runtime.InteropServices;

namespace Qmp.Net.Qapi.Tests;

/// <summary>The runtime these tests run on, written to the output: the net8.0 run must be on .NET 8 itself, not rolled
/// forward to a newer runtime.</summary>
public class RuntimeTests
{
    [Test]
    public void The_tests_run_on_the_runtime_they_target()
    {
        TestContext.Out.WriteLine($"Environment.Version {Environment.Version} ({RuntimeInformation.FrameworkDescription}); Qmp.Net.Qapi built for {typeof(QapiCommands).Assembly.GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false).Cast<System.Runtime.Versioning.TargetFrameworkAttribute>().Single().FrameworkName}");

        Assert.That(Environment.Version.Major, Is.EqualTo(8));
        Assert.That(typeof(QapiCommands).Assembly.GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false).Cast<System.Runtime.Versioning.TargetFrameworkAttribute>().Single().FrameworkName, Is.EqualTo(".NETCoreApp,Version=v8.0"));
    }
}
