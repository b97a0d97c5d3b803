using BenchmarkDotNet.Running;
using Qmp.Net.Benchmarks;

// `--scale` runs the connection-scale measurement (not a BenchmarkDotNet benchmark); anything else goes to BenchmarkDotNet.
// The exit code is 1 when a benchmark failed, so that CI's dry run catches a benchmark that throws.
return args is ["--scale", ..]
    ? await ScaleMode.RunAsync()
    : BenchConfig.ExitCode(BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig()));
