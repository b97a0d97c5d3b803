using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenario 6: Qmp.Net against a real QEMU (<c>-machine none -S</c>), 1,000 commands per operation (the mean is per
/// command), each case against the fastest client this machine runs, in the same run: a dedicated thread doing blocking
/// socket calls (<see cref="BlockingQmpConnection"/>, the baseline of each category) and, when a C compiler is present, the
/// same in C (<see cref="NativeFloorClient"/>). Every client negotiates <c>oob</c>, as Qmp.Net does, and has its own monitor.
/// Three categories, each with its own baseline:
/// <list type="bullet">
/// <item><c>Sequential</c>: one <c>query-status</c> at a time, plus the earlier bare async socket baselines (Qmp.Net's bytes;
/// the same command with an id and spaces).</item>
/// <item><c>8 in flight</c>: the floor keeps 8 commands unanswered (QEMU's read-ahead); Qmp.Net has 8 callers.</item>
/// <item><c>cont/stop events</c>: commands alternating <c>cont</c> and <c>stop</c>, each waited for with its event
/// (<c>RESUME</c>, <c>STOP</c>); every client on a QEMU of its own, so that no client receives another's events.</item>
/// </list>
/// Skipped (filtered out with a message) when QEMU is not installed; the C cases when no C compiler is.</summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RealQemuBenchmarks
{
    public const string Sequential = "Sequential";
    public const string InFlight = "8 in flight";
    public const string Events = "cont/stop events";

    private const int Commands = 1000;

    private static readonly byte[] s_spacedWithId = RawQmpConnection.Ascii("{ \"execute\": \"query-status\", \"id\": 1 }");

    private readonly List<IDisposable> _resources = [];
    private Qemu _qemu = null!;
    private RawQmpConnection _raw = null!;
    private BlockingQmpConnection _blocking = null!;
    private QmpClient _client = null!;
    private BlockingQmpConnection _blockingEvents = null!;
    private QmpClient _eventClient = null!;
    private NativeFloorClient? _native;
    private NativeFloorClient? _nativeEvents;

    /// <summary>Names the benchmarks that need the C compiler (for <see cref="BenchConfig"/>'s filter).</summary>
    public static IReadOnlySet<string> NativeCases { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(NativeSequential), nameof(NativeWindow), nameof(NativeEvents),
    };

    [GlobalSetup]
    public void Setup()
    {
        // Monitors of the command QEMU: 0 Qmp.Net, 1 bare async socket, 2 blocking floor, 3 C floor.
        _qemu = Keep(Qemu.Start(monitors: 4));
        _client = QmpClient.ConnectAsync(QmpEndpoint.Unix(_qemu.Sockets[0])).GetAwaiter().GetResult();
        if (_client.NegotiatedCapabilities.Count != 1)
        {
            throw new InvalidOperationException("QEMU did not offer oob.");
        }

        _raw = Keep(RawQmpConnection.ConnectAsync(new UnixDomainSocketEndPoint(_qemu.Sockets[1]), RawQmpConnection.CapabilitiesWithOob).GetAwaiter().GetResult());
        _blocking = Keep(BlockingQmpConnection.Connect(_qemu.Sockets[2]));

        // QEMU sends every event to every monitor: each event client gets a QEMU of its own.
        _eventClient = QmpClient.ConnectAsync(QmpEndpoint.Unix(Keep(Qemu.Start(monitors: 1)).Sockets[0])).GetAwaiter().GetResult();
        _blockingEvents = Keep(BlockingQmpConnection.Connect(Keep(Qemu.Start(monitors: 1)).Sockets[0]));
    }

    [GlobalSetup(Targets = [nameof(NativeSequential), nameof(NativeWindow), nameof(NativeEvents)])]
    public void SetupWithNative()
    {
        Setup();
        _native = Keep(NativeFloorClient.Start(_qemu.Sockets[3]));
        _nativeEvents = Keep(NativeFloorClient.Start(Keep(Qemu.Start(monitors: 1)).Sockets[0]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _eventClient.DisposeAsync().AsTask().GetAwaiter().GetResult();

        // Clients before the QEMUs they talk to.
        for (var i = _resources.Count - 1; i >= 0; i--)
        {
            _resources[i].Dispose();
        }
    }

    [BenchmarkCategory(Sequential)]
    [Benchmark(Baseline = true, OperationsPerInvoke = Commands, Description = "Blocking floor, sequential")]
    public void BlockingSequential() => _blocking.Sequential(Commands);

    [BenchmarkCategory(Sequential)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "C floor, sequential")]
    public void NativeSequential() => _native!.Sequential(Commands);

    [BenchmarkCategory(Sequential)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "Bare async socket, sequential, Qmp.Net's bytes")]
    public async Task BareSequential()
    {
        for (var i = 0; i < Commands; i++)
        {
            await _raw.RoundTripAsync(RawQmpConnection.QueryStatus);
        }
    }

    [BenchmarkCategory(Sequential)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "Bare async socket, sequential, { \"execute\": ..., \"id\": 1 }")]
    public async Task BareSequentialSpacedWithId()
    {
        for (var i = 0; i < Commands; i++)
        {
            await _raw.RoundTripAsync(s_spacedWithId);
        }
    }

    [BenchmarkCategory(Sequential)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "Qmp.Net, sequential")]
    public async Task QmpNetSequential()
    {
        for (var i = 0; i < Commands; i++)
        {
            await _client.ExecuteAsync("query-status");
        }
    }

    [BenchmarkCategory(InFlight)]
    [Benchmark(Baseline = true, OperationsPerInvoke = Commands, Description = "Blocking floor, oob, window of 8")]
    public void BlockingWindow() => _blocking.Window(Commands, window: 8);

    [BenchmarkCategory(InFlight)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "C floor, oob, window of 8")]
    public void NativeWindow() => _native!.Window(Commands, window: 8);

    [BenchmarkCategory(InFlight)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "Bare async socket, oob, window of 8")]
    public Task BarePipelined() => _raw.PipelineAsync(RawQmpConnection.QueryStatus, Commands, window: 8);

    [BenchmarkCategory(InFlight)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "Qmp.Net, 8 callers")]
    public Task QmpNet8Callers() => EightCallersAsync(_client, Commands);

    [BenchmarkCategory(Events)]
    [Benchmark(Baseline = true, OperationsPerInvoke = Commands, Description = "Blocking floor, cont/stop + event")]
    public void BlockingEvents() => _blockingEvents.EventRoundTrips(Commands);

    [BenchmarkCategory(Events)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "C floor, cont/stop + event")]
    public void NativeEvents() => _nativeEvents!.EventRoundTrips(Commands);

    [BenchmarkCategory(Events)]
    [Benchmark(OperationsPerInvoke = Commands, Description = "Qmp.Net, cont/stop + WaitForEventAsync")]
    public Task QmpNetEvents() => EventRoundTripsAsync(_eventClient, Commands);

    /// <summary>8 callers, each issuing its share of <paramref name="commands"/> <c>query-status</c> one after another.</summary>
    public static Task EightCallersAsync(QmpClient client, int commands)
    {
        var tasks = new Task[8];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = CallerAsync(client, commands / 8);
        }

        return Task.WhenAll(tasks);
    }

    /// <summary><paramref name="count"/> commands alternating <c>cont</c> and <c>stop</c> (from a paused machine; an even
    /// count), each awaited together with its event, the way an application waits for a state change.</summary>
    public static async Task EventRoundTripsAsync(QmpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var (command, @event) = i % 2 == 0 ? ("cont", "RESUME") : ("stop", "STOP");
            var happened = client.WaitForEventAsync(@event);
            await client.ExecuteAsync(command);
            await happened;
        }
    }

    private static async Task CallerAsync(QmpClient client, int commands)
    {
        for (var i = 0; i < commands; i++)
        {
            await client.ExecuteAsync("query-status");
        }
    }

    private T Keep<T>(T resource)
        where T : IDisposable
    {
        _resources.Add(resource);
        return resource;
    }
}
