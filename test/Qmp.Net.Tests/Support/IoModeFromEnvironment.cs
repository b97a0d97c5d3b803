using Qmp.Net.Internal;

namespace Qmp.Net.Tests;

/// <summary>Runs the whole suite in one I/O mode when <c>QMPNET_TEST_IO_MODE</c> names one
/// (<c>QMPNET_TEST_IO_MODE=DedicatedThread dotnet test test/Qmp.Net.Tests</c>): every connection then reads in that mode,
/// whatever its options say.</summary>
[SetUpFixture]
public sealed class IoModeFromEnvironment
{
    public const string Variable = "QMPNET_TEST_IO_MODE";

    [OneTimeSetUp]
    public void Apply()
    {
        if (Enum.TryParse<QmpIoMode>(Environment.GetEnvironmentVariable(Variable), out var mode))
        {
            QmpConnection.ForcedIoMode = mode;
            TestContext.Progress.WriteLine($"Every connection reads in I/O mode {mode} ({Variable}).");
        }
    }

    [OneTimeTearDown]
    public void Reset() => QmpConnection.ForcedIoMode = null;
}
