using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenario 5a: the latency of a new connection ready for commands (connect, greeting, <c>qmp_capabilities</c>)
/// and its close, over a Unix socket. Baseline: the same exchange on a bare socket.</summary>
public class ConnectBenchmarks
{
    private QmpResponder _server = null!;

    [GlobalSetup]
    public void Setup() => _server = QmpResponder.Start(Transport.Unix);

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "Bare socket")]
    public async Task BareSocket()
    {
        using var connection = await RawQmpConnection.ConnectAsync(_server.SocketEndPoint, RawQmpConnection.Capabilities);
    }

    [Benchmark(Description = "QmpClient.ConnectAsync + DisposeAsync")]
    public async Task QmpNet()
    {
        await using var client = await QmpClient.ConnectAsync(_server.Endpoint);
    }
}
