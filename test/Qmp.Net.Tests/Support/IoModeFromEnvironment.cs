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
        if (Requested() is { } mode)
        {
            QmpConnection.ForcedIoMode = mode;
            TestContext.Progress.WriteLine($"Every connection reads in I/O mode {mode} ({Variable}).");
        }
    }

    /// <summary>The mode the variable names, or null when it is unset. A value that names no mode fails the run: a typo
    /// must not let the suite pass in the default mode while it claims to test another.</summary>
    public static QmpIoMode? Requested()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return Enum.TryParse<QmpIoMode>(value, ignoreCase: false, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new InvalidOperationException($"{Variable}={value} names no QmpIoMode (ThreadPool or DedicatedThread).");
    }

    [OneTimeTearDown]
    public void Reset() => QmpConnection.ForcedIoMode = null;
}
