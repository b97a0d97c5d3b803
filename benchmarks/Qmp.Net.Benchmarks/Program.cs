using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Running;
using Qmp.Net.Benchmarks;

// `--scale`, `--interleaved`, `--hosts` and `--fleet` run the measurements that are not BenchmarkDotNet benchmarks (see
// docs/performance.md); `--cpu-child`, `--hop-child` and `--first-command` are the client processes `--hosts` starts (`--fleet-responder` the one `--fleet` starts). Anything else goes to
// BenchmarkDotNet. The exit code is 1 when a benchmark failed, so that CI's dry run catches one that throws.
var mainTimestamp = Stopwatch.GetTimestamp();
return args switch
{
    ["--first-command", ..] => await HostLoadMode.FirstCommandAsync(args, mainTimestamp),
    ["--cpu-child", ..] => await HostLoadMode.CpuChildAsync(args),
    ["--hop-child", ..] => await HopLab.ChildAsync(args),
    ["--io-thread-cost", ..] => HopLab.IoThreadCost(),
    ["--hosts", ..] => await HostLoadMode.RunAsync(args),
    ["--scale", ..] => await ScaleMode.RunAsync(),
    ["--fleet", ..] => await FleetMode.RunAsync(args),
    ["--fleet-responder", ..] => await FleetMode.ResponderAsync(),
    ["--interleaved", ..] => await InterleavedMode.RunAsync(),
    _ => BenchmarkDotNetRunner.Run(args),
};

/// <summary>Kept out of the top-level method so that a short-lived child process does not load BenchmarkDotNet when its
/// entry point is compiled (that would be charged to the cold start it measures).</summary>
internal static class BenchmarkDotNetRunner
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Run(string[] args) =>
        BenchConfig.ExitCode(BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig()));
}
