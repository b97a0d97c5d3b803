using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Qmp.Net.Internal;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>Long runs that must leave nothing behind: managed memory (after a full collection), open file descriptors and
/// threads are measured before and after and must stay within a small margin. By default a bounded CI size runs;
/// <c>QMP_SOAK=full</c> runs the full size (1,000,000 commands and events, 10,000 connect/dispose cycles).</summary>
/// <remarks>The server is <see cref="SoakServer"/>, a minimal QMP server that keeps nothing: QmpTestServer records every
/// command it receives, which is itself the kind of growth these tests look for, in the same process.</remarks>
[TestFixture]
[NonParallelizable]
[Category("Soak")]
public class SoakTests
{
    private const int EventsPerBurst = 1000;

    private static readonly bool s_full = string.Equals(Environment.GetEnvironmentVariable("QMP_SOAK"), "full", StringComparison.OrdinalIgnoreCase);

    private static int Messages => s_full ? 1_000_000 : 100_000;

    private static int Cycles => s_full ? 10_000 : 1_000;

    private static TimeSpan Limit => s_full ? TimeSpan.FromMinutes(15) : TimeSpan.FromSeconds(60);

    private readonly record struct Figures(long ManagedBytes, int FileDescriptors, int Threads)
    {
        public static Figures Measure()
        {
            for (var i = 0; i < 3; i++)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }

            using var process = Process.GetCurrentProcess();
            return new Figures(GC.GetTotalMemory(forceFullCollection: true), Directory.GetFiles("/proc/self/fd").Length, process.Threads.Count);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"managed {ManagedBytes:N0} B, fds {FileDescriptors}, threads {Threads}");
    }

    private static void Report(string what, Figures start, Figures end, Stopwatch clock)
    {
        TestContext.Out.WriteLine($"{what} ({(s_full ? "full" : "CI")} mode) in {clock.Elapsed.TotalSeconds:0.0} s");
        TestContext.Out.WriteLine($"  start: {start}");
        TestContext.Out.WriteLine($"  end:   {end}");
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  delta: managed {end.ManagedBytes - start.ManagedBytes:+#,0;-#,0;0} B, fds {end.FileDescriptors - start.FileDescriptors:+0;-0;0}, threads {end.Threads - start.Threads:+0;-0;0}"));
    }

    private static void AssertFlat(Figures start, Figures end) => Assert.Multiple(() =>
    {
        Assert.That(end.ManagedBytes - start.ManagedBytes, Is.LessThan(4L << 20), "managed memory after a full collection");
        Assert.That(end.FileDescriptors - start.FileDescriptors, Is.LessThanOrEqualTo(2), "open file descriptors");
        Assert.That(end.Threads - start.Threads, Is.LessThanOrEqualTo(16), "threads (the thread pool may add a few workers; a leak would add one per cycle)");
    });

    private static async Task<(int Mismatches, long Received, long Dropped)> RunAsync(QmpClient client, int commands, int events)
    {
        using var subscription = client.SubscribeEvents(e => e.Name == "SOAK");
        var reader = Task.Run(async () =>
        {
            long received = 0;
            while (received + subscription.DroppedCount < events)
            {
                await subscription.ReadAsync();
                received++;
            }

            return received;
        });

        var mismatches = 0;
        const int batch = 64;
        var calls = new Task<JsonElement>[batch];
        for (var first = 0; first < commands; first += batch)
        {
            var count = Math.Min(batch, commands - first);
            for (var i = 0; i < count; i++)
            {
                calls[i] = client.ExecuteAsync("echo", new { N = first + i });
            }

            for (var i = 0; i < count; i++)
            {
                if ((await calls[i]).GetProperty("n").GetInt32() != first + i)
                {
                    mismatches++;
                }
            }
        }

        for (var from = 0; from < events; from += EventsPerBurst)
        {
            await client.ExecuteAsync("burst", new { From = from });
        }

        var receivedEvents = await reader;
        return (mismatches, receivedEvents, subscription.DroppedCount);
    }

    [Test]
    public async Task One_client_carries_many_commands_and_events_without_growing_memory_handles_or_threads()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var server = SoakServer.Start();
        await using var client = await QmpClient.ConnectAsync(server.Endpoint).Bounded();
        await RunAsync(client, 10_000, 10 * EventsPerBurst).WaitAsync(cts.Token); // warm up: JIT, pools, thread pool
        var start = Figures.Measure();
        var clock = Stopwatch.StartNew();

        var (mismatches, received, dropped) = await RunAsync(client, Messages, Messages).WaitAsync(cts.Token);

        clock.Stop();
        var end = Figures.Measure();
        Report($"{Messages:N0} commands and {Messages:N0} events ({received:N0} read, {dropped:N0} dropped by a slow reader)", start, end, clock);
        Assert.Multiple(() =>
        {
            Assert.That(mismatches, Is.Zero, "every command got its own answer");
            Assert.That(received + dropped, Is.EqualTo(Messages), "every event was delivered or counted as dropped");
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        });
        AssertFlat(start, end);
    }

    [Test]
    public async Task Many_connect_and_dispose_cycles_leave_no_memory_handles_or_threads_behind()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var server = SoakServer.Start();

        async Task CycleAsync(int n)
        {
            var client = await QmpClient.ConnectAsync(server.Endpoint, cancellationToken: cts.Token);
            var answer = await client.ExecuteAsync("echo", new { N = n }, cts.Token);
            await client.DisposeAsync();
            if (answer.GetProperty("n").GetInt32() != n || !client.Completion.IsCompletedSuccessfully)
            {
                throw new AssertionException($"cycle {n} went wrong");
            }
        }

        for (var n = 0; n < 100; n++)
        {
            await CycleAsync(n); // warm up
        }

        var start = Figures.Measure();
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < Cycles; n++)
        {
            await CycleAsync(n);
        }

        clock.Stop();
        var end = Figures.Measure();
        Report($"{Cycles:N0} connect/command/dispose cycles", start, end, clock);
        Assert.That(server.Connections, Is.EqualTo(Cycles + 100));
        AssertFlat(start, end);
    }

    /// <summary>A QMP server reduced to what the soak needs, keeping no history: it greets (offering oob), accepts
    /// <c>qmp_capabilities</c>, answers <c>echo</c> with its arguments and <c>burst</c> with 1,000 events then
    /// <c>{}</c>. One connection at a time, framed by the library's own <see cref="MessageReader"/>.</summary>
    private sealed class SoakServer : IAsyncDisposable
    {
        private static readonly byte[] s_greeting = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"u8.ToArray();

        private readonly Socket _listener;
        private readonly DirectoryInfo _directory;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _connections;

        private SoakServer(Socket listener, DirectoryInfo directory, string path)
        {
            _listener = listener;
            _directory = directory;
            Endpoint = QmpEndpoint.Unix(path);
            _loop = AcceptLoopAsync();
        }

        public QmpEndpoint Endpoint { get; }

        public int Connections => Volatile.Read(ref _connections);

        public static SoakServer Start()
        {
            var directory = Directory.CreateTempSubdirectory("qmp-soak-");
            var path = Path.Combine(directory.FullName, "qmp.sock");
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(16);
            return new SoakServer(listener, directory, path);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _loop.Settled();
            _stop.Dispose();
            _directory.Delete(recursive: true);
        }

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (true)
                {
                    using var socket = await _listener.AcceptAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    try
                    {
                        await ServeAsync(socket, _stop.Token);
                    }
                    catch (SocketException)
                    {
                        // The client went away mid-write: serve the next one.
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped.
            }
        }

        private static async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
        {
            using var reader = new MessageReader(1 << 20);
            var output = new ArrayBufferWriter<byte>();
            await socket.SendAsync(s_greeting, SocketFlags.None, cancellationToken);
            while (true)
            {
                var received = await socket.ReceiveAsync(reader.GetReceiveBuffer(), SocketFlags.None, cancellationToken);
                if (received == 0)
                {
                    return;
                }

                reader.Advance(received);
                output.ResetWrittenCount();
                while (reader.TryReadMessage(out var message))
                {
                    Answer(message.Span, output);
                }

                if (output.WrittenCount > 0)
                {
                    await socket.SendAsync(output.WrittenMemory, SocketFlags.None, cancellationToken);
                }
            }
        }

        private static void Answer(ReadOnlySpan<byte> message, ArrayBufferWriter<byte> output)
        {
            using var request = JsonDocument.Parse(message.ToArray());
            var root = request.RootElement;
            var name = root.GetProperty("execute").GetString();
            var arguments = root.TryGetProperty("arguments", out var a) ? a.GetRawText() : "{}";
            if (name == "burst")
            {
                var from = root.GetProperty("arguments").GetProperty("from").GetInt32();
                for (var i = 0; i < EventsPerBurst; i++)
                {
                    Write(output, string.Create(CultureInfo.InvariantCulture, $"{{\"event\": \"SOAK\", \"data\": {{\"n\": {from + i}}}, \"timestamp\": {{\"seconds\": 1700000000, \"microseconds\": 0}}}}\r\n"));
                }

                arguments = "{}";
            }
            else if (name != "echo")
            {
                arguments = "{}";
            }

            Write(output, "{\"return\": " + arguments + "}\r\n");
        }

        private static void Write(ArrayBufferWriter<byte> output, string text)
        {
            var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
            output.Advance(Encoding.UTF8.GetBytes(text, span));
        }
    }
}
