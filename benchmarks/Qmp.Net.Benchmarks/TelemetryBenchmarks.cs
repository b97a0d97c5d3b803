using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>What metrics and traces cost per command: nobody listening (the baseline, which must add nothing), a
/// <see cref="MeterListener"/> on every Qmp.Net instrument, and that plus an <see cref="ActivityListener"/> that records
/// every activity. Each case is one sequential <c>query-status</c> against the in-process responder.</summary>
public class TelemetryBenchmarks
{
    private QmpResponder _server = null!;
    private QmpClient _client = null!;
    private MeterListener? _meters;
    private ActivityListener? _activities;

    [Params("none", "metrics", "metrics+traces")]
    public string Listening { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        if (Listening != "none")
        {
            _meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == QmpTelemetry.Name)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
            _meters.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
            _meters.Start();
        }

        if (Listening == "metrics+traces")
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == QmpTelemetry.Name,
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(_activities);
        }

        _server = QmpResponder.Start(Transport.Unix);
        _client = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _meters?.Dispose();
        _activities?.Dispose();
    }

    [Benchmark(Description = "ExecuteAsync(query-status)")]
    public Task<JsonElement> QueryStatus() => _client.ExecuteAsync("query-status");
}
