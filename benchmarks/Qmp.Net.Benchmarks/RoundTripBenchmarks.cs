using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenario 1: one sequential <c>query-status</c> round trip through Qmp.Net against the same exchange on a bare
/// socket (the same 26 bytes written, one reply line read, no JSON), over a Unix socket and over TCP loopback.</summary>
public class RoundTripBenchmarks
{
    private QmpResponder _server = null!;
    private RawQmpConnection _raw = null!;
    private QmpClient _client = null!;

    [Params(Transport.Unix, Transport.Tcp)]
    public Transport Transport { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = QmpResponder.Start(Transport);
        _raw = RawQmpConnection.ConnectAsync(_server.SocketEndPoint, RawQmpConnection.Capabilities).GetAwaiter().GetResult();
        _client = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "Bare socket")]
    public ValueTask BareSocket() => _raw.RoundTripAsync(RawQmpConnection.QueryStatus);

    [Benchmark(Description = "Qmp.Net ExecuteAsync")]
    public Task<JsonElement> QmpNet() => _client.ExecuteAsync("query-status");
}
