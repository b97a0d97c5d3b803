using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Qmp.Net.Benchmarks;

/// <summary>Part of <c>--hosts</c>: how much each hand-off between the socket and the caller costs, measured without the rest
/// of Qmp.Net. Minimal clients (no JSON; a reply is a line) that differ only in how a reply reaches the caller awaiting it,
/// for sequential <c>query-status</c> on real QEMU:
/// <list type="bullet">
/// <item><c>blocking</c>: one thread, blocking <c>Send</c>/<c>Receive</c> (the blocking floor).</item>
/// <item><c>raw-async</c>: no read loop; the caller awaits <c>Socket.ReceiveAsync</c> itself (the epoll thread hands the
/// completion to a pool worker, which runs the caller).</item>
/// <item><c>loop-async</c>: Qmp.Net's shape: a read loop awaits the socket and completes the caller's
/// <see cref="TaskCompletionSource"/>, created with <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so
/// the caller's continuation is queued to the pool again; the caller writes inline.</item>
/// <item><c>loop-inline</c>: the same, but the caller's continuation runs on the read loop (what STYLE.md forbids by
/// default: it shows what that hop costs).</item>
/// <item><c>loop-swap</c>: the read loop (a <see cref="SocketAsyncEventArgs"/> callback) first posts its next receive, and
/// only when that receive is pending (the loop now lives in the socket engine, not on this thread) runs the answered
/// caller's continuation on the thread it is on: no second hop, and caller code never delays the read loop.</item>
/// <item><c>thread-reader</c>: a dedicated thread per connection reads with blocking <c>Receive</c> (no epoll thread) and
/// completes the caller asynchronously (one pool hop); the caller sends with blocking <c>Send</c>.</item>
/// <item><c>thread-inline</c>: a dedicated reader thread per connection in blocking <c>Receive</c> that runs the answered
/// caller's continuation on itself (no pool hop; caller code delays reading while it runs); the caller sends with
/// blocking <c>Send</c>.</item>
/// <item><c>thread-leader</c>: the same, but the reader gives up the reader role before it runs the continuation and takes
/// it back when the continuation returns; a process-wide watchdog (a 1 ms tick) hands the role to a standby thread when a
/// continuation has held the thread for a whole tick, so caller code delays reading by at most about two ticks.</item>
/// <item><c>thread-handoff</c>: leader/followers with two threads per connection: the reader passes the reader role to
/// the other thread (a signal) before it runs the continuation, then waits to be handed the role back.</item>
/// <item><c>qmp.net</c>: <see cref="QmpClient.ExecuteAsync(string, System.Threading.CancellationToken)"/> itself (default
/// options); <c>qmp.net-dedicated</c>: the same with <see cref="QmpIoMode.DedicatedThread"/>.</item>
/// </list></summary>
public static class HopLab
{
    public static readonly string[] Variants = ["blocking", "raw-async", "loop-async", "loop-inline", "loop-swap", "thread-reader", "thread-inline", "thread-leader", "thread-handoff", "qmp.net", "qmp.net-dedicated"];

    /// <summary>Runs <paramref name="count"/> sequential <c>query-status</c> with the given variant.</summary>
    public static async Task<Func<int, Task>> ConnectAsync(string variant, string socketPath)
    {
        switch (variant)
        {
            case "blocking":
                var blocking = BlockingQmpConnection.Connect(socketPath);
                return n =>
                {
                    blocking.Sequential(n);
                    return Task.CompletedTask;
                };
            case "raw-async":
                var raw = await RawQmpConnection.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), RawQmpConnection.CapabilitiesWithOob);
                return async n =>
                {
                    for (var i = 0; i < n; i++)
                    {
                        await raw.RoundTripAsync(RawQmpConnection.QueryStatus);
                    }
                };
            case "qmp.net" or "qmp.net-dedicated":
                var qmp = await QmpClient.ConnectAsync(QmpEndpoint.Unix(socketPath), new QmpClientOptions { IoMode = variant == "qmp.net" ? QmpIoMode.ThreadPool : QmpIoMode.DedicatedThread });
                return async n =>
                {
                    for (var i = 0; i < n; i++)
                    {
                        await qmp.ExecuteAsync("query-status");
                    }
                };
            default:
                var client = await LineClient.ConnectAsync(variant, socketPath);
                return async n =>
                {
                    for (var i = 0; i < n; i++)
                    {
                        await client.ExecuteAsync(RawQmpConnection.QueryStatus);
                    }
                };
        }
    }

    /// <summary>A minimal line client whose read side is one of the variants above.</summary>
    private sealed class LineClient
    {
        private readonly Socket _socket;
        private readonly string _variant;
        private readonly Queue<TaskCompletionSource> _pending = new();
        private readonly byte[] _buffer = new byte[65536];
        private readonly object _standby = new();
        private SocketAsyncEventArgs? _args;
        private SemaphoreSlim? _token;
        private int _role;
        private long _ticket;
        private long _seenTicket = -1;
        private int _parked;
        private bool _promoted;

        private LineClient(Socket socket, string variant)
        {
            _socket = socket;
            _variant = variant;
        }

        public static async Task<LineClient> ConnectAsync(string variant, string path)
        {
            // Negotiate with the blocking client's code, then take its socket over (blocking mode, never used async before
            // the variant's own loop starts).
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            var greeting = new byte[4096];
            var lines = 0;
            while (lines < 1)
            {
                lines += greeting.AsSpan(0, socket.Receive(greeting)).Count((byte)'\n');
            }

            socket.Send(RawQmpConnection.CapabilitiesWithOob);
            lines = 0;
            while (lines < 1)
            {
                lines += greeting.AsSpan(0, socket.Receive(greeting)).Count((byte)'\n');
            }

            var client = new LineClient(socket, variant);
            switch (variant)
            {
                case "loop-async" or "loop-inline":
                    _ = Task.Run(client.ReadLoopAsync);
                    break;
                case "loop-swap":
                    client._args = new SocketAsyncEventArgs();
                    client._args.SetBuffer(client._buffer);
                    client._args.Completed += (_, _) => client.OnReceived();
                    client.PostReceiveThenComplete(null);
                    break;
                case "thread-reader" or "thread-inline":
                    new Thread(client.ReadThread) { IsBackground = true, Name = "hop-lab reader" }.Start();
                    break;
                case "thread-leader":
                    Watchdog.Add(client);
                    new Thread(client.LeaderThread) { IsBackground = true, Name = "hop-lab leader" }.Start();
                    break;
                case "thread-handoff":
                    client._token = new SemaphoreSlim(1);
                    new Thread(client.HandoffThread) { IsBackground = true, Name = "hop-lab handoff" }.Start();
                    new Thread(client.HandoffThread) { IsBackground = true, Name = "hop-lab handoff" }.Start();
                    break;
                default:
                    throw new ArgumentException($"Unknown variant {variant}.", nameof(variant));
            }

            await Task.Yield();
            return client;
        }

        public Task ExecuteAsync(byte[] command)
        {
            var answer = new TaskCompletionSource(_variant is "loop-inline" or "loop-swap" or "thread-inline" or "thread-leader" or "thread-handoff" ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pending)
            {
                _pending.Enqueue(answer);
            }

            // The writer is idle in a sequential run: write from the caller (a non-blocking Unix socket send of 26 bytes).
            if (_variant.StartsWith("thread-", StringComparison.Ordinal))
            {
                _socket.Send(command);
            }
            else
            {
                var sent = _socket.SendAsync(command.AsMemory(), SocketFlags.None);
                if (!sent.IsCompletedSuccessfully)
                {
                    return AwaitSendThen(sent, answer.Task);
                }
            }

            return answer.Task;
        }

        private static async Task AwaitSendThen(ValueTask<int> sent, Task answer)
        {
            await sent;
            await answer;
        }

        private async Task ReadLoopAsync()
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(_buffer, SocketFlags.None);
                if (received == 0)
                {
                    return;
                }

                Complete(_buffer.AsSpan(0, received).Count((byte)'\n'));
            }
        }

        private void ReadThread()
        {
            while (true)
            {
                var received = _socket.Receive(_buffer);
                if (received == 0)
                {
                    return;
                }

                Complete(_buffer.AsSpan(0, received).Count((byte)'\n'));
            }
        }

        /// <summary>thread-leader: read while holding the role (0 = held, 1 = free); give it up around the continuations.</summary>
        private void LeaderThread()
        {
            while (true)
            {
                var received = _socket.Receive(_buffer);
                if (received == 0)
                {
                    return;
                }

                var lines = _buffer.AsSpan(0, received).Count((byte)'\n');
                Interlocked.Increment(ref _ticket);
                Volatile.Write(ref _role, 1);
                Complete(lines);
                if (Interlocked.CompareExchange(ref _role, 0, 1) != 1)
                {
                    // The watchdog gave the role to a standby meanwhile: become the standby until it hands the role back.
                    lock (_standby)
                    {
                        _parked++;
                        while (!_promoted)
                        {
                            Monitor.Wait(_standby);
                        }

                        _promoted = false;
                        _parked--;
                    }
                }
            }
        }

        /// <summary>thread-leader's watchdog: the role has been free since the last tick (the same ticket): promote a
        /// standby (a parked thread, or a new one).</summary>
        private void Check()
        {
            var ticket = Volatile.Read(ref _ticket);
            if (Volatile.Read(ref _role) == 1 && ticket == _seenTicket && Interlocked.CompareExchange(ref _role, 0, 1) == 1)
            {
                lock (_standby)
                {
                    if (_parked > 0)
                    {
                        _promoted = true;
                        Monitor.Pulse(_standby);
                        return;
                    }
                }

                new Thread(LeaderThread) { IsBackground = true, Name = "hop-lab leader" }.Start();
            }

            _seenTicket = ticket;
        }

        /// <summary>thread-handoff: wait for the role, read, pass the role on, run the continuations.</summary>
        private void HandoffThread()
        {
            while (true)
            {
                _token!.Wait();
                int received;
                while ((received = _socket.Receive(_buffer)) > 0)
                {
                    var lines = _buffer.AsSpan(0, received).Count((byte)'\n');
                    if (lines > 0)
                    {
                        break;
                    }
                }

                if (received == 0)
                {
                    _token.Release();
                    return;
                }

                var count = _buffer.AsSpan(0, received).Count((byte)'\n');
                _token.Release();
                Complete(count);
            }
        }

        private static class Watchdog
        {
            private static readonly List<LineClient> s_clients = [];

            public static void Add(LineClient client)
            {
                lock (s_clients)
                {
                    s_clients.Add(client);
                    if (s_clients.Count == 1)
                    {
                        new Thread(Run) { IsBackground = true, Name = "hop-lab watchdog" }.Start();
                    }
                }
            }

            private static void Run()
            {
                while (true)
                {
                    Thread.Sleep(1);
                    lock (s_clients)
                    {
                        s_clients.ForEach(c => c.Check());
                    }
                }
            }
        }

        private void Complete(int lines)
        {
            for (var i = 0; i < lines; i++)
            {
                TaskCompletionSource answer;
                lock (_pending)
                {
                    answer = _pending.Dequeue();
                }

                answer.SetResult();
            }
        }

        /// <summary>loop-swap: post receives until one is pending, then run the answered callers here.</summary>
        private void PostReceiveThenComplete(List<TaskCompletionSource>? answered)
        {
            while (!_socket.ReceiveAsync(_args!))
            {
                var more = Collect();
                if (more is null)
                {
                    break;
                }

                (answered ??= []).AddRange(more);
            }

            // The next receive is pending: the read loop continues in the socket engine's callback, not on this thread.
            foreach (var answer in answered ?? [])
            {
                answer.SetResult();
            }
        }

        private void OnReceived()
        {
            if (Collect() is { } answered)
            {
                PostReceiveThenComplete(answered);
            }
        }

        private List<TaskCompletionSource>? Collect()
        {
            if (_args!.SocketError != SocketError.Success || _args.BytesTransferred == 0)
            {
                return null;
            }

            var lines = _buffer.AsSpan(0, _args.BytesTransferred).Count((byte)'\n');
            var answered = new List<TaskCompletionSource>(lines);
            lock (_pending)
            {
                for (var i = 0; i < lines; i++)
                {
                    answered.Add(_pending.Dequeue());
                }
            }

            return answered;
        }
    }

    /// <summary>The child process (<c>--hop-child VARIANT SOCKET</c>): takes jobs on stdin as the C floor does
    /// (<c>seq N</c>: N sequential <c>query-status</c>) and answers each with <c>ok MICROSECONDS</c> followed by its
    /// <c>getrusage</c> at the end of the job.</summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var run = await ConnectAsync(args[1], args[2]);
        Console.WriteLine("ready " + ProcessUsage.Self().Format());
        while (Console.ReadLine() is { } line)
        {
            var count = int.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
            var watch = Stopwatch.StartNew();
            await run(count);
            var elapsed = watch.Elapsed;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ok {elapsed.TotalMicroseconds:F0} {ProcessUsage.Self().Format()}"));
        }

        return 0;
    }

    /// <summary>What a dedicated I/O thread per connection costs at 1,000 connections (<c>--io-thread-cost</c>): 1,000
    /// connected Unix socket pairs, first bare, then each with a thread blocked in <c>Receive</c> (default stack size, then
    /// 256 KiB); the process's resident memory (<c>VmRSS</c>) and thread count after each step.</summary>
    public static int IoThreadCost()
    {
        const int Connections = 1000;
        var pairs = new List<(Socket A, Socket B)>(Connections);
        var rssStart = Rss();
        for (var i = 0; i < Connections; i++)
        {
            var path = Path.Combine(Path.GetTempPath(), $"qmpbench-io-{Environment.ProcessId}-{i}.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var a = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            a.Connect(new UnixDomainSocketEndPoint(path));
            pairs.Add((a, listener.Accept()));
            File.Delete(path);
        }

        var rssSockets = Rss();
        var threadsSockets = Threads();
        Console.WriteLine("| 1,000 connections (Unix socket pairs) | Process threads | Resident memory | per connection, over the step before |");
        Console.WriteLine("|---------------------------------------|----------------:|----------------:|---------------------------------------:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare sockets | {threadsSockets} | {rssSockets / 1024.0:F1} MiB | — (the sockets: {(rssSockets - rssStart) / (double)Connections:F1} KiB each) |"));
        foreach (var stack in new[] { 0, 256 * 1024 })
        {
            GC.Collect();
            var rssBefore = Rss();
            var threads = new List<Thread>(Connections);
            foreach (var (a, _) in pairs)
            {
                var thread = new Thread(() => ReadUntilClosed(a), stack) { IsBackground = true, Name = "io" };
                thread.Start();
                threads.Add(thread);
            }

            // Every thread has reached its blocking Receive once the count of threads in the process says so.
            var deadline = Stopwatch.StartNew();
            while (Threads() < threadsSockets + Connections && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(50);
            }

            Thread.Sleep(500);
            var rss = Rss();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| + a reader thread each, stack {(stack == 0 ? "the runtime's default" : "256 KiB")} | {Threads()} | {rss / 1024.0:F1} MiB | {(rss - rssBefore) / (double)Connections:F1} KiB |"));

            // End the threads: one byte each wakes its Receive, which then returns.
            foreach (var (_, b) in pairs)
            {
                b.Send("x"u8);
            }

            threads.ForEach(t => t.Join());
        }

        foreach (var (a, b) in pairs)
        {
            a.Dispose();
            b.Dispose();
        }

        return 0;

        static void ReadUntilClosed(Socket socket)
        {
            var buffer = new byte[1];
            _ = socket.Receive(buffer);
        }

        static long Rss() => File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture)).First();

        static int Threads()
        {
            using var process = Process.GetCurrentProcess();
            return process.Threads.Count;
        }
    }
}
