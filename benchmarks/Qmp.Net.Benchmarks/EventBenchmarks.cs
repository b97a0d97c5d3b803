using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenarios 3 and 4: a responder streams prepared events (about 120 bytes each, with data) as fast as the socket
/// takes them; one subscriber reads 100,000 of them per operation with <c>await foreach</c>. The mean is per event and the
/// allocation column is bytes per event (every thread). The second case attaches another subscription that never reads:
/// its buffer fills and it drops, and the reader's rate must not fall. When the reader falls behind the read loop, its own
/// buffer drops too (the client never waits for a reader), so the allocation figure of these two cases also carries the
/// events parsed and dropped; the burst case measures the cost per delivered event exactly.</summary>
public class EventBenchmarks
{
    private const int Events = 100_000;

    /// <summary>Events per burst: fewer than the subscription's 1,024-event buffer, so that none is dropped.</summary>
    private const int Burst = 1000;

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

    [GlobalSetup(Target = nameof(BurstThenRead))]
    public void SetupBurst()
    {
        _server = QmpResponder.Start(Transport.Unix, eventsPerReply: Burst);
        _client = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
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

    /// <summary>One command whose reply the responder sends after 1,000 events: when the command completes every event has
    /// been parsed and buffered (none dropped), then the subscriber takes them. Time and bytes are per event (the command's
    /// own share is a thousandth), so this measures exactly what delivering one event costs.</summary>
    [Benchmark(OperationsPerInvoke = Burst, Description = "1,000-event burst, then read (no drops)")]
    public async Task<long> BurstThenRead()
    {
        await _client.ExecuteAsync("query-status");
        long last = 0;
        for (var i = 0; i < Burst; i++)
        {
            if (!_client.Events.TryRead(out var e))
            {
                throw new InvalidOperationException($"Only {i} of {Burst} events were buffered.");
            }

            last = e.Sequence;
        }

        return last;
    }

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
