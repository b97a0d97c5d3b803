using System.Diagnostics;
using System.Globalization;

namespace Qmp.Net.Benchmarks;

/// <summary>Scenario 5b, run with <c>-- --scale</c>: 1,000 idle connections to one in-process responder (Unix socket), held at
/// once. It reports the process's thread count at 10, 100 and 1,000 connections and the managed memory each connection adds
/// (<see cref="GC.GetTotalMemory(bool)"/> after a full collection, divided by 1,000). The responder's side of each connection
/// is in the same process, so the same measurement is first made with bare connected sockets (the handshake done, nothing
/// but the <see cref="System.Net.Sockets.Socket"/> kept): the difference is what a <see cref="QmpClient"/> costs over a bare
/// connected socket.</summary>
public static class ScaleMode
{
    private static readonly int[] s_steps = [10, 100, 1000];

    public static async Task<int> RunAsync()
    {
        await using var server = QmpResponder.Start(Transport.Unix);

        // Warm up both paths (JIT, pools) so that one-time costs are not charged to the connections.
        using (await RawQmpConnection.ConnectAsync(server.SocketEndPoint, RawQmpConnection.Capabilities))
        {
        }

        await using (await QmpClient.ConnectAsync(server.Endpoint))
        {
        }

        await WaitForServerAsync(server, 0);
        var raw = await MeasureAsync(server, async () => (await RawQmpConnection.ConnectAsync(server.SocketEndPoint, RawQmpConnection.Capabilities)).Socket, c => ((IDisposable)c).Dispose());
        var qmp = await MeasureAsync(server, async () => await QmpClient.ConnectAsync(server.Endpoint), c => ((QmpClient)c).DisposeAsync().AsTask().GetAwaiter().GetResult());

        var culture = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("| Connections held | Process threads (bare sockets) | Process threads (QmpClient) | of which thread-pool workers (QmpClient) |");
        Console.WriteLine("|-----------------:|-------------------------------:|----------------------------:|-----------------------------------------:|");
        Console.WriteLine(string.Create(culture, $"| 0 | {raw.ThreadsBefore.Process} | {qmp.ThreadsBefore.Process} | {qmp.ThreadsBefore.Pool} |"));
        for (var i = 0; i < s_steps.Length; i++)
        {
            Console.WriteLine(string.Create(culture, $"| {s_steps[i]} | {raw.Threads[i].Process} | {qmp.Threads[i].Process} | {qmp.Threads[i].Pool} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| Managed memory per connection (1,000 held) | Bytes |");
        Console.WriteLine("|--------------------------------------------|------:|");
        Console.WriteLine(string.Create(culture, $"| Bare socket + responder side | {raw.BytesPerConnection:N0} |"));
        Console.WriteLine(string.Create(culture, $"| QmpClient + responder side | {qmp.BytesPerConnection:N0} |"));
        Console.WriteLine(string.Create(culture, $"| **QmpClient over a bare connected socket (difference)** | **{qmp.BytesPerConnection - raw.BytesPerConnection:N0}** |"));
        Console.WriteLine(string.Create(culture, $"| QmpClient upper bound (everything, responder side included) | {qmp.BytesPerConnection:N0} ({qmp.BytesPerConnection / 1024.0:F1} KiB) |"));
        return 0;
    }

    private static async Task<Result> MeasureAsync(QmpResponder server, Func<Task<object>> connect, Action<object> close)
    {
        var held = new List<object>(s_steps[^1]);
        var before = Settle();
        var threadsBefore = ThreadCount();
        var threads = new List<Threads>();
        foreach (var step in s_steps)
        {
            while (held.Count < step)
            {
                // Connect in groups of 50 at once.
                var group = Math.Min(50, step - held.Count);
                held.AddRange(await Task.WhenAll(Enumerable.Range(0, group).Select(_ => connect())));
            }

            await WaitForServerAsync(server, step);
            Settle();
            threads.Add(ThreadCount());
        }

        var after = Settle();
        var bytesPerConnection = (after - before) / held.Count;
        foreach (var connection in held)
        {
            close(connection);
        }

        await WaitForServerAsync(server, 0);
        return new Result(threadsBefore, threads, bytesPerConnection);
    }

    private static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static Threads ThreadCount()
    {
        using var process = Process.GetCurrentProcess();
        return new Threads(process.Threads.Count, ThreadPool.ThreadCount);
    }

    private static async Task WaitForServerAsync(QmpResponder server, int connections)
    {
        var deadline = Stopwatch.StartNew();
        while (server.Connections != connections)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"The responder holds {server.Connections} connections, expected {connections}.");
            }

            await Task.Delay(10);
        }
    }

    private sealed record Result(Threads ThreadsBefore, List<Threads> Threads, long BytesPerConnection);

    private readonly record struct Threads(int Process, int Pool);
}
