using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Reports;

namespace Qmp.Net.Benchmarks;

/// <summary>The configuration every suite shares: allocations measured, ratios to each class's baseline, GitHub-flavoured
/// Markdown reports; the job comes from the command line (<c>--job Short</c>, <c>--job Dry</c>) or BenchmarkDotNet's default.</summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        Add(DefaultConfig.Instance);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        AddFilter(new SimpleFilter(QemuFilter));
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
        WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
        // BenchmarkDotNet builds its generated project in fresh output folders without the compiler server, so every
        // referenced project is compiled again; Qmp.Net.Qapi (TypedBenchmarks) alone takes more than the default two
        // minutes on a busy 2-core machine.
        WithBuildTimeout(TimeSpan.FromMinutes(10));
    }

    public static int ExitCode(IEnumerable<Summary> summaries)
    {
        var failed = summaries.Where(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)).Select(s => s.Title).ToList();
        foreach (var title in failed)
        {
            Console.Error.WriteLine($"Benchmark run failed: {title}");
        }

        return failed.Count == 0 ? 0 : 1;
    }

    private static bool QemuFilter(BenchmarkDotNet.Running.BenchmarkCase benchmark)
    {
        if (benchmark.Descriptor.Type != typeof(RealQemuBenchmarks))
        {
            return true;
        }

        if (!Qemu.IsAvailable)
        {
            if (Interlocked.Exchange(ref s_qemuMessageShown, 1) == 0)
            {
                Console.WriteLine($"Skipping {nameof(RealQemuBenchmarks)}: {Qemu.Binary} was not found.");
            }

            return false;
        }

        if (!NativeFloorClient.IsAvailable && RealQemuBenchmarks.NativeCases.Contains(benchmark.Descriptor.WorkloadMethod.Name))
        {
            if (Interlocked.Exchange(ref s_compilerMessageShown, 1) == 0)
            {
                Console.WriteLine($"Skipping the C floor of {nameof(RealQemuBenchmarks)}: no C compiler (cc, gcc or clang) was found.");
            }

            return false;
        }

        return true;
    }

    private static int s_qemuMessageShown;
    private static int s_compilerMessageShown;
}
