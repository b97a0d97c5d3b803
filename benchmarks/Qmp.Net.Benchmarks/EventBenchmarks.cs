using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenarios 3 and 4: a responder streams prepared events (about 120 bytes each, with data) as fast as the socket
/// takes them; one subscriber reads 100,000 of them per operation with <c>await foreach</c>. The mean is per event and the
/// allocation column is bytes per event (every thread). The second case attaches another subscription that never reads:
/// its buffer fills and it drops, and the reader's rate must not fall.</summary>
public class EventBenchmarks
{
    private const int Events = 100_000;

    private QmpResponder _server = null!;
    private QmpClient _client = null!;
    private QmpEventSubscription? _idle;

    [GlobalSetup(Target = nameof(OneSubscriber))]
    public void Setup()
    {
        _server = QmpResponder.Start(Transport.Unix, streamEvents: true);
        _client = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
    }

    [GlobalSetup(Target = nameof(SecondIdleSubscriber))]
    public void SetupWithIdleSubscriber()
    {
        Setup();
        _idle = _client.SubscribeEvents();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var reader = _client.Events.DroppedCount;
        var idle = _idle?.DroppedCount;
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"// Dropped: reader {reader}, idle subscriber {idle?.ToString() ?? "none"}");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "1 subscriber")]
    public Task<long> OneSubscriber() => ReadAsync(_client.Events);

    [Benchmark(OperationsPerInvoke = Events, Description = "+1 never-reading subscriber")]
    public Task<long> SecondIdleSubscriber() => ReadAsync(_client.Events);

    private static async Task<long> ReadAsync(QmpEventSubscription subscription)
    {
        var count = 0;
        long last = 0;
        await foreach (var e in subscription)
        {
            last = e.Sequence;
            if (++count == Events)
            {
                break;
            }
        }

        return last;
    }
}
