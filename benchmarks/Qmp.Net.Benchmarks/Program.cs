using BenchmarkDotNet.Running;
using Qmp.Net.Benchmarks;

// `--scale` and `--interleaved` run the two measurements that are not BenchmarkDotNet benchmarks (see docs/performance.md);
// anything else goes to BenchmarkDotNet. The exit code is 1 when a benchmark failed, so that CI's dry run catches one that throws.
return args switch
{
    ["--scale", ..] => await ScaleMode.RunAsync(),
    ["--interleaved", ..] => await InterleavedMode.RunAsync(),
    _ => BenchConfig.ExitCode(BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig())),
};
