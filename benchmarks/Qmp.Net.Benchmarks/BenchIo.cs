namespace Qmp.Net.Benchmarks;

/// <summary>The client options of the <c>--hosts</c> harness's Qmp.Net clients: <c>--io-mode dedicated</c> (or
/// <c>QMPNET_BENCH_IO_MODE=DedicatedThread</c>, which the harness sets for its child processes) measures
/// <see cref="QmpIoMode.DedicatedThread"/> instead of the default.</summary>
public static class BenchIo
{
    public const string Variable = "QMPNET_BENCH_IO_MODE";

    public static QmpIoMode Mode => Enum.TryParse<QmpIoMode>(Environment.GetEnvironmentVariable(Variable), out var mode) ? mode : QmpIoMode.ThreadPool;

    public static QmpClientOptions Options => QmpClientOptions.Default with { IoMode = Mode };

    /// <summary>Applies <c>--io-mode dedicated|pool</c> to this process and its children.</summary>
    public static void Apply(string[] args)
    {
        var index = Array.IndexOf(args, "--io-mode");
        if (index >= 0 && index + 1 < args.Length)
        {
            Environment.SetEnvironmentVariable(Variable, args[index + 1] is "dedicated" or "DedicatedThread" ? nameof(QmpIoMode.DedicatedThread) : nameof(QmpIoMode.ThreadPool));
        }
    }
}
