using System.Net.Sockets;
using BenchmarkDotNet.Attributes;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenario 6: <c>query-status</c> against a real QEMU (<c>-machine none -S</c>), 1,000 per operation (the mean is
/// per command). Baselines on bare sockets to the same QEMU (a second monitor), all with <c>oob</c> negotiated as Qmp.Net
/// does: the exact bytes Qmp.Net writes, one at a time; the same command with an id and spaces; and a window of 8 pipelined
/// commands, what QEMU's read-ahead allows. Skipped (filtered out with a message) when QEMU is not installed.</summary>
public class RealQemuBenchmarks
{
    private const int Commands = 1000;

    private static readonly byte[] s_spacedWithId = RawQmpConnection.Ascii("{ \"execute\": \"query-status\", \"id\": 1 }");

    private Qemu _qemu = null!;
    private RawQmpConnection _raw = null!;
    private QmpClient _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        _qemu = Qemu.Start(monitors: 2);
        _raw = RawQmpConnection.ConnectAsync(new UnixDomainSocketEndPoint(_qemu.Sockets[1]), RawQmpConnection.CapabilitiesWithOob).GetAwaiter().GetResult();
        _client = QmpClient.ConnectAsync(QmpEndpoint.Unix(_qemu.Sockets[0])).GetAwaiter().GetResult();
        if (_client.NegotiatedCapabilities.Count != 1)
        {
            throw new InvalidOperationException("QEMU did not offer oob.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw.Dispose();
        _qemu.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Commands, Description = "Bare socket, sequential, Qmp.Net's bytes")]
    public async Task BareSequential()
    {
        for (var i = 0; i < Commands; i++)
        {
            await _raw.RoundTripAsync(RawQmpConnection.QueryStatus);
        }
    }

    [Benchmark(OperationsPerInvoke = Commands, Description = "Qmp.Net, sequential")]
    public async Task QmpNetSequential()
    {
        for (var i = 0; i < Commands; i++)
        {
            await _client.ExecuteAsync("query-status");
        }
    }

    [Benchmark(OperationsPerInvoke = Commands, Description = "Bare socket, sequential, { \"execute\": ..., \"id\": 1 }")]
    public async Task BareSequentialSpacedWithId()
    {
        for (var i = 0; i < Commands; i++)
        {
            await _raw.RoundTripAsync(s_spacedWithId);
        }
    }

    [Benchmark(OperationsPerInvoke = Commands, Description = "Bare socket, oob, window of 8")]
    public Task BarePipelined() => _raw.PipelineAsync(RawQmpConnection.QueryStatus, Commands, window: 8);

    [Benchmark(OperationsPerInvoke = Commands, Description = "Qmp.Net, 8 callers")]
    public Task QmpNet8Callers()
    {
        var tasks = new Task[8];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = CallerAsync(Commands / 8);
        }

        return Task.WhenAll(tasks);
    }

    private async Task CallerAsync(int commands)
    {
        for (var i = 0; i < commands; i++)
        {
            await _client.ExecuteAsync("query-status");
        }
    }
}
