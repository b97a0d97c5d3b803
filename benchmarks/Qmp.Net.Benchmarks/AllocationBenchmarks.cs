using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>The <c>query-status</c> result as a small record.</summary>
public sealed record StatusInfo(string Status, bool Singlestep, bool Running);

/// <summary>Source-generated metadata with the same naming as Qmp.Net's default options.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(StatusInfo))]
public partial class BenchJsonContext : JsonSerializerContext;

/// <summary>Scenario 3: bytes allocated (every thread: caller, read loop, socket engine) per sequential command, returning a
/// <see cref="JsonElement"/>, or a record deserialized with reflection metadata or with source-generated metadata.
/// The bare-socket round trip is the baseline for time; it allocates nothing.</summary>
public class AllocationBenchmarks
{
    private QmpResponder _server = null!;
    private RawQmpConnection _raw = null!;
    private QmpClient _client = null!;
    private QmpClient _sourceGenerated = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = QmpResponder.Start(Transport.Unix);
        _raw = RawQmpConnection.ConnectAsync(_server.SocketEndPoint, RawQmpConnection.Capabilities).GetAwaiter().GetResult();
        _client = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
        _sourceGenerated = QmpClient.ConnectAsync(_server.Endpoint, QmpClientOptions.Default with { SerializerOptions = BenchJsonContext.Default.Options })
            .GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sourceGenerated.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "Bare socket")]
    public ValueTask BareSocket() => _raw.RoundTripAsync(RawQmpConnection.QueryStatus);

    [Benchmark(Description = "ExecuteAsync -> JsonElement")]
    public Task<JsonElement> Untyped() => _client.ExecuteAsync("query-status");

    [Benchmark(Description = "ExecuteAsync<StatusInfo>, reflection")]
    public Task<StatusInfo> TypedReflection() => _client.ExecuteAsync<StatusInfo>("query-status");

    [Benchmark(Description = "ExecuteAsync<StatusInfo>, source-generated")]
    public Task<StatusInfo> TypedSourceGenerated() => _sourceGenerated.ExecuteAsync<StatusInfo>("query-status");
}
