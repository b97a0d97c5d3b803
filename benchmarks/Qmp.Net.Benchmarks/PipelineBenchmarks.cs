using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenario 2: 10,000 <c>query-status</c> commands per operation on one connection, issued by 1, 8, 64 or 256
/// concurrent callers; the mean is per command. The responder offers no <c>oob</c>, so the client pipelines without limit;
/// the last case connects to a responder offering <c>oob</c>, where the client keeps at most 8 commands in flight as QEMU requires.</summary>
public class PipelineBenchmarks
{
    private const int Commands = 10_000;

    private QmpResponder _server = null!;
    private QmpResponder _oobServer = null!;
    private QmpClient _client = null!;
    private QmpClient _oobClient = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = QmpResponder.Start(Transport.Unix);
        _oobServer = QmpResponder.Start(Transport.Unix, offerOob: true);
        _client = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
        _oobClient = QmpClient.ConnectAsync(_oobServer.Endpoint).GetAwaiter().GetResult();
        if (_oobClient.NegotiatedCapabilities.Count != 1 || _client.NegotiatedCapabilities.Count != 0)
        {
            throw new InvalidOperationException("The oob negotiation is not what the benchmark expects.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _oobClient.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _oobServer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Commands, Description = "1 caller (sequential)")]
    public Task Callers1() => RunAsync(_client, 1);

    [Benchmark(OperationsPerInvoke = Commands, Description = "8 callers")]
    public Task Callers8() => RunAsync(_client, 8);

    [Benchmark(OperationsPerInvoke = Commands, Description = "64 callers")]
    public Task Callers64() => RunAsync(_client, 64);

    [Benchmark(OperationsPerInvoke = Commands, Description = "256 callers")]
    public Task Callers256() => RunAsync(_client, 256);

    [Benchmark(OperationsPerInvoke = Commands, Description = "64 callers, oob (window 8)")]
    public Task Callers64Oob() => RunAsync(_oobClient, 64);

    private static Task RunAsync(QmpClient client, int callers)
    {
        if (callers == 1)
        {
            return CallerAsync(client, Commands);
        }

        var tasks = new Task[callers];
        for (var i = 0; i < callers; i++)
        {
            tasks[i] = CallerAsync(client, (Commands / callers) + (i < Commands % callers ? 1 : 0));
        }

        return Task.WhenAll(tasks);
    }

    private static async Task CallerAsync(QmpClient client, int commands)
    {
        for (var i = 0; i < commands; i++)
        {
            await client.ExecuteAsync("query-status");
        }
    }
}
