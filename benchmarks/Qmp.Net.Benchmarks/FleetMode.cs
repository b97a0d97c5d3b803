using System.Diagnostics;
using System.Globalization;
using System.Text;
using Qmp.Net.Fleet;

namespace Qmp.Net.Benchmarks;

/// <summary>Run with <c>-- --fleet</c> (issue 18): one process drives many VMs through <see cref="QmpFleet"/>.
/// <list type="number">
/// <item>Real QEMU 7.2 (<c>-machine none -S</c>, one monitor each): a baseline of one VM driven alone, then
/// <c>--vms</c> (200) VMs: the process's threads, managed heap and RSS per VM, client CPU per command (getrusage of this
/// process, the QEMUs are other processes), p50/p99 of <c>query-status</c> polled by every VM at 1 Hz and 10 Hz, and an
/// event fan-in run (<c>stop</c>/<c>cont</c> on every VM, every STOP and RESUME counted).</item>
/// <item>Simulated monitors (<c>--sim 100,1000,10000</c>): a responder in a child process (this program with
/// <c>--fleet-responder</c>, so that its file descriptors and CPU are not this process's), one fleet connection per
/// simulated VM: threads, managed heap per VM and CPU per command as the count grows.</item>
/// </list>
/// Options: <c>--vms N</c>, <c>--seconds S</c> (each polling run), <c>--sim LIST</c>, <c>--no-qemu</c>, <c>--out FILE</c>
/// (the Markdown report, also printed).</summary>
public static class FleetMode
{
    private static readonly CultureInfo s_culture = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        var vms = IntOption(args, "--vms", 200);
        var seconds = IntOption(args, "--seconds", 20);
        var sim = Option(args, "--sim") is { } list ? list.Split(',').Select(s => int.Parse(s, s_culture)).ToArray() : [100, 1000, 10000];
        var report = new StringBuilder();
        void Line(string text)
        {
            Console.WriteLine(text);
            report.AppendLine(text);
        }

        Line(string.Create(s_culture, $"# QmpFleet at scale ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)"));
        Line("");
        Line(string.Create(s_culture, $"{Environment.ProcessorCount} processors; .NET {Environment.Version}; load average at start {LoadAverage()} (the machine is shared with other builds and tests); QEMU {Qemu.Binary}; {vms} VMs, {seconds} s per polling run."));
        Line("");
        if (!args.Contains("--no-qemu") && Qemu.IsAvailable)
        {
            await RealQemuAsync(vms, seconds, Line);
        }

        await SimulatedAsync(sim, Line);
        Line("");
        Line(string.Create(s_culture, $"Load average at end {LoadAverage()}."));
        if (Option(args, "--out") is { } file)
        {
            await File.WriteAllTextAsync(file, report.ToString());
        }

        return 0;
    }

    /// <summary>The simulated monitors' responder, in a child process: prints its socket path, serves until stdin closes.</summary>
    public static async Task<int> ResponderAsync()
    {
        await using var server = QmpResponder.Start(Transport.Unix);
        Console.WriteLine(((QmpUnixEndpoint)server.Endpoint).Path);
        Console.Out.Flush();
        await Console.In.ReadToEndAsync();
        return 0;
    }

    private static async Task RealQemuAsync(int count, int seconds, Action<string> line)
    {
        var options = QmpFleetOptions.Default with { MaxConcurrency = 16, EventCapacity = 65536, CommandTimeout = TimeSpan.FromSeconds(30) };

        // Baseline: one VM alone, the same code paths.
        Stats single;
        using (var qemu = Qemu.Start(monitors: 1))
        {
            await using var fleet = new QmpFleet(options);
            fleet.Add("vm0", QmpEndpoint.Unix(qemu.Sockets[0]));
            single = await MeasureAsync(fleet, ["vm0"], seconds, line);
        }

        // Many VMs. The baseline of threads and memory is taken once the QEMUs run (their Process objects are the
        // harness's, not the fleet's) and before the fleet connects.
        var qemus = new Qemu[count];
        var started = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, (i, _) =>
        {
            qemus[i] = Qemu.Start(monitors: 1);
            return ValueTask.CompletedTask;
        });
        line(string.Create(s_culture, $"Started {count} QEMUs in {started.Elapsed.TotalSeconds:F1} s."));
        var threads0 = ThreadCount();
        var (heap0, rss0) = Memory();
        try
        {
            await using var fleet = new QmpFleet(options);
            var names = new string[count];
            for (var i = 0; i < count; i++)
            {
                names[i] = "vm" + i.ToString(s_culture);
                fleet.Add(names[i], QmpEndpoint.Unix(qemus[i].Sockets[0]));
            }

            var many = await MeasureAsync(fleet, names, seconds, line);
            var threadsN = ThreadCount();
            var (heapN, rssN) = Memory();
            line("");
            line("| Real QEMU 7.2 | 1 VM (baseline) | " + count.ToString(s_culture) + " VMs | Ratio | Target |");
            line("|---|--:|--:|--:|---|");
            line(string.Create(s_culture, $"| Process threads (QEMUs started, fleet not connected → all connected, after the runs) | {threads0} | {threadsN} | | flat |"));
            line(string.Create(s_culture, $"| Managed heap per VM (full GC, difference / VMs) | | {(heapN - heap0) / count:N0} B | | |"));
            line(string.Create(s_culture, $"| RSS per VM (difference / VMs) | | {(rssN - rss0) / count / 1024.0:F0} KiB | | |"));
            line(string.Create(s_culture, $"| Client CPU per command (fan-out of query-status) | {single.CpuPerCommandUs:F1} µs | {many.CpuPerCommandUs:F1} µs | {many.CpuPerCommandUs / single.CpuPerCommandUs:F2}× | ≤ 1.2× |"));
            foreach (var (hz, i) in new[] { (1, 0), (10, 1) })
            {
                var a = single.Polls[i];
                var b = many.Polls[i];
                line(string.Create(s_culture, $"| query-status at {hz} Hz per VM: p50 / p99 (ms) | {a.P50:F2} / {a.P99:F2} | {b.P50:F2} / {b.P99:F2} | p99/p50 {b.P99 / b.P50:F1} | p99 ≤ 3× p50 |"));
                line(string.Create(s_culture, $"| … commands done / failed / missed ticks; CPU per command | {a.Done} / {a.Failed} / {a.Missed}; {a.CpuPerCommandUs:F1} µs | {b.Done} / {b.Failed} / {b.Missed}; {b.CpuPerCommandUs:F1} µs | | nothing failed |"));
            }

            line(string.Create(s_culture, $"| Event fan-in: STOP+RESUME expected / received / dropped; wall time | {single.EventsExpected} / {single.EventsReceived} / {single.EventsDropped}; {single.EventSeconds * 1000:F0} ms | {many.EventsExpected} / {many.EventsReceived} / {many.EventsDropped}; {many.EventSeconds * 1000:F0} ms | | nothing dropped |"));
        }
        finally
        {
            Parallel.ForEach(qemus, new ParallelOptions { MaxDegreeOfParallelism = 8 }, q => q?.Dispose());
        }
    }

    private static async Task<Stats> MeasureAsync(QmpFleet fleet, string[] names, int seconds, Action<string> line)
    {
        // Connect (lazily, through the first fan-out) and warm up.
        Check(await fleet.FanOutAsync("query-status", names: names), "connect");
        for (var i = 0; i < 20; i++)
        {
            Check(await fleet.FanOutAsync("query-status", names: names), "warm-up");
        }

        // CPU per command: fan-outs of query-status, about 20,000 commands whatever the count.
        var rounds = Math.Max(20, 20_000 / names.Length);
        var before = ProcessUsage.Self();
        for (var i = 0; i < rounds; i++)
        {
            Check(await fleet.FanOutAsync("query-status", names: names), "fan-out");
        }

        var cpu = ProcessUsage.Self() - before;
        var cpuPerCommand = (cpu.UserMicroseconds + cpu.SystemMicroseconds) / (double)(rounds * names.Length);

        var polls = new[] { await PollAsync(fleet, names, 1, seconds), await PollAsync(fleet, names, 10, seconds) };

        // Event fan-in: cont (from -S), then stop/cont rounds; each stop brings a STOP and each cont a RESUME per VM.
        var eventRounds = 5;
        var expected = 0;
        var received = 0;
        var reader = Task.Run(async () =>
        {
            await foreach (var e in fleet.ReadEventsAsync())
            {
                if (e.Event.Name is "STOP" or "RESUME")
                {
                    Interlocked.Increment(ref received);
                }
            }
        });
        Check(await fleet.FanOutAsync("cont", names: names), "cont");
        var eventClock = Stopwatch.StartNew();
        for (var i = 0; i < eventRounds; i++)
        {
            Check(await fleet.FanOutAsync("stop", names: names), "stop");
            Check(await fleet.FanOutAsync("cont", names: names), "cont");
            expected += 2 * names.Length;
        }

        // The first cont's RESUME is counted too.
        expected += names.Length;
        var wait = Stopwatch.StartNew();
        while (Volatile.Read(ref received) < expected && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        var eventSeconds = eventClock.Elapsed.TotalSeconds;
        line(string.Create(s_culture, $"{names.Length} VM(s): {rounds} fan-outs, CPU {cpuPerCommand:F1} µs/command; events {Volatile.Read(ref received)}/{expected}."));
        return new Stats(cpuPerCommand, polls, expected, Volatile.Read(ref received), fleet.DroppedEventCount, eventSeconds);
    }

    /// <summary>Every VM polls query-status at <paramref name="hz"/> on its own timer (phases spread over the period);
    /// each latency is recorded, a tick that comes while the previous command runs is counted as missed.</summary>
    private static async Task<Poll> PollAsync(QmpFleet fleet, string[] names, int hz, int seconds)
    {
        var period = TimeSpan.FromSeconds(1.0 / hz);
        var latencies = new List<double>[names.Length];
        var failed = 0;
        var missed = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var before = ProcessUsage.Self();
        var tasks = names.Select((name, index) => Task.Run(async () =>
        {
            var mine = latencies[index] = new List<double>(seconds * hz + 1);
            await Task.Delay(period * index / names.Length);
            using var timer = new PeriodicTimer(period);
            var next = Stopwatch.GetTimestamp();
            try
            {
                do
                {
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        await fleet.ExecuteAsync(name, "query-status");
                        mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                    catch (QmpException)
                    {
                        Interlocked.Increment(ref failed);
                    }

                    if (Stopwatch.GetElapsedTime(start) > period)
                    {
                        Interlocked.Increment(ref missed);
                    }
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var cpu = ProcessUsage.Self() - before;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Poll(Percentile(all, 0.50), Percentile(all, 0.99), all.Length, failed, missed, (cpu.UserMicroseconds + cpu.SystemMicroseconds) / (double)Math.Max(1, all.Length));
    }

    private static async Task SimulatedAsync(int[] counts, Action<string> line)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(FleetMode).Assembly.Location);
        }

        start.ArgumentList.Add("--fleet-responder");
        using var child = Process.Start(start)!;
        try
        {
            var path = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The responder did not start.");
            var endpoint = QmpEndpoint.Unix(path);
            line("");
            line("| Simulated monitors (responder in a child process) | Threads after | Managed heap per VM | Connect all (s) | Client CPU per command | Fan-out of query-status to all (ms) | Failed |");
            line("|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var count in counts)
            {
                var (heap0, _) = Memory();
                await using var fleet = new QmpFleet(QmpFleetOptions.Default with { MaxConcurrency = 64, CommandTimeout = TimeSpan.FromSeconds(60) });
                var names = Enumerable.Range(0, count).Select(i => "sim" + i.ToString(s_culture)).ToArray();
                foreach (var name in names)
                {
                    fleet.Add(name, endpoint);
                }

                var connect = Stopwatch.StartNew();
                var failed = Failures(await fleet.FanOutAsync("query-status"));
                var connectSeconds = connect.Elapsed.TotalSeconds;
                var rounds = Math.Max(3, 20_000 / count);
                var before = ProcessUsage.Self();
                var wall = Stopwatch.StartNew();
                for (var i = 0; i < rounds; i++)
                {
                    failed += Failures(await fleet.FanOutAsync("query-status"));
                }

                var fanOutMs = wall.Elapsed.TotalMilliseconds / rounds;
                var cpu = ProcessUsage.Self() - before;
                var (heapN, _) = Memory();
                line(string.Create(s_culture, $"| {count:N0} | {ThreadCount()} | {(heapN - heap0) / count:N0} B | {connectSeconds:F1} | {(cpu.UserMicroseconds + cpu.SystemMicroseconds) / (double)(rounds * count):F1} µs | {fanOutMs:F1} | {failed} |"));
            }
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(10_000))
            {
                child.Kill();
            }
        }
    }

    private static int Failures(IReadOnlyList<QmpFleetResult> results) => results.Count(r => r.Error is not null);

    private static void Check(IReadOnlyList<QmpFleetResult> results, string what)
    {
        if (results.FirstOrDefault(r => r.Error is not null) is { } failed)
        {
            throw new InvalidOperationException($"{what} failed on {failed.Name}: {failed.Error!.Message}", failed.Error);
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static int ThreadCount()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }

    private static (long Heap, long Rss) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } value ? int.Parse(value, s_culture) : fallback;

    private sealed record Poll(double P50, double P99, int Done, int Failed, int Missed, double CpuPerCommandUs);

    private sealed record Stats(double CpuPerCommandUs, Poll[] Polls, int EventsExpected, int EventsReceived, long EventsDropped, double EventSeconds);
}
