using System.Diagnostics;
using System.Globalization;

namespace Qmp.Net.Benchmarks;

/// <summary>Run with <c>-- --hosts</c> (issue 22's performance harness): every figure of the issue's targets in one run, on a
/// quiet host and on a busy one, as ratios against floors measured in the same run.
/// <list type="bullet">
/// <item>Busy host: <see cref="CpuLoad"/> starts two CPU-bound processes of its own (<c>/bin/sh</c> spinning) beside the
/// benchmark on this 2-core machine and stops them after; quiet host: none (the machine's own load is printed with each
/// table, as the load average).</item>
/// <item>Throughput on real QEMU: <see cref="FloorComparison"/> (sequential, 8 in flight against the oob window-of-8 floors,
/// cont/stop with events), the clients taking turns in blocks.</item>
/// <item>The in-process round trip against a bare socket (<see cref="InterleavedMode.CompareAsync"/>).</item>
/// <item>Client CPU and context switches per command: the client runs in a process of its own, on a QEMU of its own, and
/// reports <c>getrusage</c> after a short and after a long run; the difference divided by the difference of the run
/// lengths is the cost per command, with start-up and warm-up cancelled out. The C floor does the same through its
/// <c>usage</c> job.</item>
/// <item>Cold start (quiet host only): a fresh process connects and runs one <c>query-status</c>, under the runtime settings
/// of <see cref="s_coldSettings"/>.</item>
/// </list>
/// <c>--quick</c> makes every count small (a bounded smoke run: the figures mean nothing); <c>--busy-only</c> and
/// <c>--quiet-only</c> run one host; <c>--io-mode dedicated</c> measures Qmp.Net with <see cref="QmpIoMode.DedicatedThread"/>
/// (the hand-off lab has a row for each mode anyway); <c>--hops-only</c> runs the hand-off lab alone; environment variables (e.g. <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c>) set for
/// the harness reach its client processes too, and are printed in the header.</summary>
public static class HostLoadMode
{
    private static readonly (string Name, (string Variable, string Value)[] Environment)[] s_coldSettings =
    [
        ("default (tiered JIT, PGO, framework ReadyToRun)", []),
        ("DOTNET_TieredPGO=0", [("DOTNET_TieredPGO", "0")]),
        ("DOTNET_TieredCompilation=0 (everything fully optimised at first call)", [("DOTNET_TieredCompilation", "0")]),
        ("DOTNET_ReadyToRun=0 (framework's precompiled code ignored)", [("DOTNET_ReadyToRun", "0")]),
        ("DOTNET_TC_QuickJitForLoops=0", [("DOTNET_TC_QuickJitForLoops", "0")]),
    ];

    private static readonly List<string> s_threadRows = [];

    public static async Task<int> RunAsync(string[] args)
    {
        BenchIo.Apply(args);
        var quick = args.Contains("--quick");
        var rounds = Option(args, "--rounds") ?? (quick ? 2 : 20);
        var block = Option(args, "--block") ?? (quick ? 50 : 500);
        var shortRun = Option(args, "--short") ?? (quick ? 200 : 2_000);
        var longRun = Option(args, "--long") ?? (quick ? 1_200 : 32_000);
        var coldRuns = quick ? 1 : 5;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# Host-load harness, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(quick ? " (--quick: counts too small to mean anything)" : "")}"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} processors; .NET {Environment.Version}; load average at start {LoadAverage()}; QEMU {(Qemu.IsAvailable ? Qemu.Binary : "not found")}; C floor {(NativeFloorClient.IsAvailable ? NativeFloorClient.Compiler : "not built (no C compiler)")}."));
        var knobs = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) && !k.StartsWith("DOTNET_CLI", StringComparison.Ordinal) && k != "DOTNET_ROOT").Order().ToList();
        Console.WriteLine(knobs.Count == 0 ? "No DOTNET_* runtime settings." : "Runtime settings: " + string.Join(", ", knobs.Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}")) + ".");
        Console.WriteLine($"Qmp.Net's I/O mode (QmpClientOptions.IoMode, --io-mode) outside the hand-off lab: {BenchIo.Mode}.");

        foreach (var busy in new[] { false, true })
        {
            if ((busy && args.Contains("--quiet-only")) || (!busy && args.Contains("--busy-only")))
            {
                continue;
            }

            using var load = busy ? CpuLoad.Start(2) : null;
            var hostName = busy ? "Busy host (two CPU-bound processes of the harness beside it)" : "Quiet host (no load of the harness's own)";
            Console.WriteLine();
            Console.WriteLine($"## {hostName}");

            if (args.Contains("--hops-only") && Qemu.IsAvailable)
            {
                // The hand-off lab alone (a quicker run for comparing shapes).
                await HopTableAsync(rounds, block);
                Console.WriteLine();
                Console.WriteLine($"Load average at the end: {LoadAverage()}");
                continue;
            }

            var roundTrip = await InProcessRoundTripAsync(rounds, block * 4);
            Console.WriteLine();
            Console.WriteLine($"Load average before: {LoadAverage()}");
            Console.WriteLine();
            Console.WriteLine("| Sequential query-status | Round trips each | Bare socket | Qmp.Net | Ratio |");
            Console.WriteLine("|-------------------------|-----------------:|------------:|--------:|------:|");
            Console.WriteLine(roundTrip);

            if (!Qemu.IsAvailable)
            {
                Console.WriteLine($"Skipping real QEMU: {Qemu.Binary} was not found.");
                continue;
            }

            FloorComparison.Print(await FloorComparison.RunAsync(rounds, block));
            Console.WriteLine();
            Console.WriteLine($"Load average after the throughput runs: {LoadAverage()}");

            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Client process CPU and context switches per command: (getrusage after {longRun:N0} commands − after {shortRun:N0}) ÷ {longRun - shortRun:N0}, one client process on a QEMU of its own."));
            Console.WriteLine();
            Console.WriteLine("| Client, workload | CPU per command | of which system | involuntary switches per command | voluntary | CPU / C floor's |");
            Console.WriteLine("|------------------|----------------:|----------------:|---------------------------------:|----------:|----------------:|");
            foreach (var events in new[] { false, true })
            {
                var workload = events ? "cont/stop with events" : "sequential query-status";
                ProcessUsage? native = null;
                if (NativeFloorClient.IsAvailable)
                {
                    native = NativeUsage(events, shortRun, longRun);
                    Console.WriteLine(UsageRow($"C floor, {workload}", native.Value, longRun - shortRun, null));
                }

                var managed = await ManagedUsageAsync(events, shortRun, longRun);
                Console.WriteLine(UsageRow($"Qmp.Net, {workload}", managed, longRun - shortRun, native));
            }

            Console.WriteLine();
            Console.WriteLine("Where Qmp.Net's context switches happen, per command, by thread name (threads alive at the end of the run):");
            Console.WriteLine();
            Console.WriteLine("| Workload | Thread name | Threads | Involuntary per command | Voluntary per command |");
            Console.WriteLine("|----------|-------------|--------:|------------------------:|----------------------:|");
            s_threadRows.ForEach(Console.WriteLine);
            s_threadRows.Clear();
            await HopTableAsync(rounds, block);
            Console.WriteLine();
            Console.WriteLine($"Load average at the end: {LoadAverage()}");
        }

        if (Qemu.IsAvailable && !args.Contains("--busy-only") && !args.Contains("--hops-only"))
        {
            await ColdStartAsync(coldRuns);
        }

        return 0;
    }

    /// <summary>A client process (<c>--cpu-child SOCKET seq|events SHORT LONG</c>): connects, runs SHORT commands, prints
    /// <c>usage ...</c>, runs up to LONG, prints <c>usage ...</c> again, and exits.</summary>
    public static async Task<int> CpuChildAsync(string[] args)
    {
        var events = args[2] == "events";
        var shortRun = int.Parse(args[3], CultureInfo.InvariantCulture);
        var longRun = int.Parse(args[4], CultureInfo.InvariantCulture);
        await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(args[1]), BenchIo.Options);
        await RunAsync(client, events, shortRun);
        var threadsBefore = ThreadSwitches();
        Console.WriteLine("usage " + ProcessUsage.Self().Format());
        await RunAsync(client, events, longRun - shortRun);
        Console.WriteLine("usage " + ProcessUsage.Self().Format());
        var threadsAfter = ThreadSwitches();

        // Per thread kind (the kernel's thread names: ".NET TP Worker", ".NET SocketEng", ...), the context switches of the
        // long part; threads that exited in between are missing here (getrusage above has them).
        foreach (var group in threadsAfter.GroupBy(t => t.Value.Name))
        {
            long voluntary = 0, involuntary = 0;
            foreach (var (id, after) in group)
            {
                var before = threadsBefore.GetValueOrDefault(id);
                voluntary += after.Voluntary - before.Voluntary;
                involuntary += after.Involuntary - before.Involuntary;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"thread {group.Count()} {voluntary} {involuntary} {group.Key}"));
        }

        return 0;

        static Task RunAsync(QmpClient client, bool events, int count) => events
            ? RealQemuBenchmarks.EventRoundTripsAsync(client, count)
            : SequentialAsync(client, count);
    }

    /// <summary>A short-lived program (<c>--first-command SOCKET</c>): connects, runs one <c>query-status</c>, prints the
    /// milliseconds from the process's start and from <c>Main</c> to the reply, and exits.</summary>
    public static async Task<int> FirstCommandAsync(string[] args, long mainTimestamp)
    {
        await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(args[1]), BenchIo.Options);
        await client.ExecuteAsync("query-status");
        var fromMain = Stopwatch.GetElapsedTime(mainTimestamp);
        using var self = Process.GetCurrentProcess();
        var fromStart = DateTime.Now - self.StartTime;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first {fromStart.TotalMilliseconds:F1} {fromMain.TotalMilliseconds:F1}"));
        return 0;
    }

    private static Dictionary<string, (string Name, long Voluntary, long Involuntary)> ThreadSwitches()
    {
        var threads = new Dictionary<string, (string, long, long)>(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(directory, "comm")).Trim();
                long voluntary = 0, involuntary = 0;
                foreach (var line in File.ReadLines(Path.Combine(directory, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        voluntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        involuntary = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }

                threads[Path.GetFileName(directory)] = (name, voluntary, involuntary);
            }
            catch (IOException)
            {
                // The thread exited meanwhile.
            }
        }

        return threads;
    }

    private static int? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : null;
    }

    private static async Task SequentialAsync(QmpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await client.ExecuteAsync("query-status");
        }
    }

    private static async Task<string> InProcessRoundTripAsync(int rounds, int block)
    {
        await using var server = QmpResponder.Start(Transport.Unix);
        using var raw = await RawQmpConnection.ConnectAsync(server.SocketEndPoint, RawQmpConnection.Capabilities);
        await using var client = await QmpClient.ConnectAsync(server.Endpoint, BenchIo.Options);
        return await InterleavedMode.CompareAsync("In-process responder, Unix (target ≤ 1.10)", raw, client, rounds, block);
    }

    private static ProcessUsage NativeUsage(bool events, int shortRun, int longRun)
    {
        using var qemu = Qemu.Start(monitors: 1);
        using var native = NativeFloorClient.Start(qemu.Sockets[0]);
        Run(shortRun);
        var first = native.Usage();
        Run(longRun - shortRun);
        return native.Usage() - first;

        void Run(int count)
        {
            if (events)
            {
                native.EventRoundTrips(count);
            }
            else
            {
                native.Sequential(count);
            }
        }
    }

    private static async Task<ProcessUsage> ManagedUsageAsync(bool events, int shortRun, int longRun)
    {
        using var qemu = Qemu.Start(monitors: 1);
        var start = SelfStartInfo("--cpu-child", qemu.Sockets[0], events ? "events" : "seq", shortRun.ToString(CultureInfo.InvariantCulture), longRun.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(start) ?? throw new InvalidOperationException("The client process did not start.");
        var lines = new List<string>();
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        await child.WaitForExitAsync();
        var usages = lines.Where(l => l.StartsWith("usage ", StringComparison.Ordinal)).Select(l => ProcessUsage.Parse(l.Split(' ').AsSpan(1))).ToList();
        if (child.ExitCode != 0 || usages.Count != 2)
        {
            throw new InvalidOperationException($"The client process failed ({child.ExitCode}): {string.Join('\n', lines)}");
        }

        s_threadRows.AddRange(lines.Where(l => l.StartsWith("thread ", StringComparison.Ordinal)).Select(l =>
        {
            var fields = l.Split(' ', 5);
            var commands = (double)(longRun - shortRun);
            return string.Create(
                CultureInfo.InvariantCulture,
                $"| {(events ? "cont/stop with events" : "sequential")} | {fields[4]} | {fields[1]} | {long.Parse(fields[3], CultureInfo.InvariantCulture) / commands:F2} | {long.Parse(fields[2], CultureInfo.InvariantCulture) / commands:F2} |");
        }));
        return usages[1] - usages[0];
    }

    /// <summary>The hand-off variants of <see cref="HopLab"/> and the C floor, each a process of its own on a QEMU of its
    /// own, taking turns in blocks of sequential <c>query-status</c> (the first of a round rotates), so that the machine's
    /// changing load falls on all of them; each variant's CPU time and context switches are summed over its blocks.</summary>
    private static async Task HopTableAsync(int rounds, int block)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Hand-offs between the socket and the caller ({nameof(HopLab)}): sequential query-status, each client a process of its own on a QEMU of its own, {rounds} rounds of {block} commands each after 2 rounds of warm-up, taking turns; load average {LoadAverage()}."));
        var contenders = new List<(string Name, Qemu Qemu, Func<int, (double Microseconds, ProcessUsage Usage)> Job, IDisposable Process)>();
        try
        {
            if (NativeFloorClient.IsAvailable)
            {
                var qemu = Qemu.Start(monitors: 1);
                var native = NativeFloorClient.Start(qemu.Sockets[0]);
                contenders.Add(("C floor", qemu, n =>
                {
                    var watch = Stopwatch.StartNew();
                    native.Sequential(n);
                    var elapsed = watch.Elapsed.TotalMicroseconds;
                    return (elapsed, native.Usage());
                }, native));
            }

            // Qmp.Net again under runtime settings that act on the hand-offs, in the same turns (a setting already given to
            // the whole harness applies to every row).
            var runs = HopLab.Variants.Select(v => (Name: v, Variant: v, Variable: (string?)null))
                .Append(("qmp.net, DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", "qmp.net", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"))
                .Append(("qmp.net, DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1", "qmp.net", "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"));
            foreach (var (name, variant, variable) in runs)
            {
                var qemu = Qemu.Start(monitors: 1);
                var start = SelfStartInfo("--hop-child", variant, qemu.Sockets[0]);
                if (variable is not null)
                {
                    start.Environment[variable] = variable.EndsWith("SpinLimit", StringComparison.Ordinal) ? "0" : "1";
                }

                start.RedirectStandardInput = true;
                var child = Process.Start(start) ?? throw new InvalidOperationException("The client process did not start.");
                child.StandardInput.AutoFlush = true;
                var ready = child.StandardOutput.ReadLine();
                if (ready is null || !ready.StartsWith("ready ", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The {variant} client process did not start: {ready}");
                }

                contenders.Add((name, qemu, n =>
                {
                    child.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seq {n}"));
                    var answer = child.StandardOutput.ReadLine()?.Split(' ');
                    if (answer is not ["ok", _, _, _, _, _])
                    {
                        throw new InvalidOperationException($"The {variant} client process failed: {string.Join(' ', answer ?? [])}");
                    }

                    return (double.Parse(answer[1], CultureInfo.InvariantCulture), ProcessUsage.Parse(answer.AsSpan(2)));
                }, new ChildProcess(child)));
            }

            var times = new double[contenders.Count];
            var roundRatios = contenders.Select(_ => new List<double>()).ToArray();
            var usages = new ProcessUsage[contenders.Count];
            var last = new ProcessUsage[contenders.Count];
            for (var round = -2; round < rounds; round++)
            {
                var roundTimes = new double[contenders.Count];
                for (var turn = 0; turn < contenders.Count; turn++)
                {
                    var which = (turn + Math.Max(round, 0)) % contenders.Count;
                    var (microseconds, usage) = await Task.Run(() => contenders[which].Job(block));
                    roundTimes[which] = microseconds;
                    if (round >= 0)
                    {
                        times[which] += microseconds;
                        usages[which] = usages[which] + (usage - last[which]);
                    }

                    last[which] = usage;
                }

                if (round >= 0)
                {
                    for (var i = 0; i < contenders.Count; i++)
                    {
                        roundRatios[i].Add(roundTimes[0] / roundTimes[i]);
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine("| Client | Commands/s | / first row | median of rounds | CPU per command | of which system | involuntary switches per command | voluntary |");
            Console.WriteLine("|--------|-----------:|------------:|-----------------:|----------------:|----------------:|---------------------------------:|----------:|");
            var commands = (double)rounds * block;
            for (var i = 0; i < contenders.Count; i++)
            {
                var usage = usages[i];
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {contenders[i].Name} | {commands / (times[i] / 1e6):N0} | {times[0] / times[i]:F2} | {Median(roundRatios[i], "F2")} | {(usage.UserMicroseconds + usage.SystemMicroseconds) / commands:F1} µs | {usage.SystemMicroseconds / commands:F1} µs | {usage.Involuntary / commands:F2} | {usage.Voluntary / commands:F2} |"));
            }
        }
        finally
        {
            foreach (var contender in contenders)
            {
                contender.Process.Dispose();
                contender.Qemu.Dispose();
            }
        }
    }

    private sealed class ChildProcess(Process process) : IDisposable
    {
        public void Dispose()
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
            }

            process.Dispose();
        }
    }

    private static string UsageRow(string label, ProcessUsage usage, int commands, ProcessUsage? native)
    {
        double PerCommand(long value) => (double)value / commands;
        var cpu = usage.UserMicroseconds + usage.SystemMicroseconds;
        var overNative = native is { } n && n.UserMicroseconds + n.SystemMicroseconds > 0
            ? ((double)cpu / (n.UserMicroseconds + n.SystemMicroseconds)).ToString("F1", CultureInfo.InvariantCulture) + "×"
            : "—";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {label} | {PerCommand(cpu):F1} µs | {PerCommand(usage.SystemMicroseconds):F1} µs | {PerCommand(usage.Involuntary):F2} | {PerCommand(usage.Voluntary):F2} | {overNative} |");
    }

    private static async Task ColdStartAsync(int runs)
    {
        Console.WriteLine();
        Console.WriteLine("## Cold start: a fresh process connects and runs one query-status (quiet host)");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Load average: {LoadAverage()}; median of {runs} runs each, the settings taking turns. \"Process start → reply\" is measured by the child (its start time from the kernel); \"Main → reply\" leaves out the runtime's own start; \"spawn → exit\" is the parent's wall clock."));
        Console.WriteLine();
        Console.WriteLine("| Runtime settings | process start → reply | Main → reply | spawn → exit |");
        Console.WriteLine("|------------------|----------------------:|-------------:|-------------:|");
        using var qemu = Qemu.Start(monitors: 1);
        var results = s_coldSettings.Select(_ => new List<(double Start, double Main, double Wall)>()).ToArray();
        for (var run = 0; run < runs; run++)
        {
            for (var i = 0; i < s_coldSettings.Length; i++)
            {
                var start = SelfStartInfo("--first-command", qemu.Sockets[0]);
                foreach (var (variable, value) in s_coldSettings[i].Environment)
                {
                    start.Environment[variable] = value;
                }

                var watch = Stopwatch.StartNew();
                using var child = Process.Start(start) ?? throw new InvalidOperationException("The client process did not start.");
                var output = await child.StandardOutput.ReadToEndAsync();
                await child.WaitForExitAsync();
                var wall = watch.Elapsed.TotalMilliseconds;
                var fields = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
                if (child.ExitCode != 0 || fields is not ["first", _, _, ..])
                {
                    throw new InvalidOperationException($"The cold-start process failed ({child.ExitCode}): {output}");
                }

                results[i].Add((double.Parse(fields[1], CultureInfo.InvariantCulture), double.Parse(fields[2], CultureInfo.InvariantCulture), wall));
            }
        }

        for (var i = 0; i < s_coldSettings.Length; i++)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {s_coldSettings[i].Name} | {Median(results[i].Select(r => r.Start))} ms | {Median(results[i].Select(r => r.Main))} ms | {Median(results[i].Select(r => r.Wall))} ms |"));
        }
    }

    private static string Median(IEnumerable<double> values, string format = "F0")
    {
        var sorted = values.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        return median.ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>Starts this benchmark program again (through its apphost, or <c>dotnet</c> when it was run that way).</summary>
    private static ProcessStartInfo SelfStartInfo(params string[] arguments)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HostLoadMode).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>The controlled CPU load of a busy host: <paramref name="processes"/> child processes that spin until disposed.</summary>
    private sealed class CpuLoad : IDisposable
    {
        private readonly List<Process> _processes = [];

        public static CpuLoad Start(int processes)
        {
            var load = new CpuLoad();
            try
            {
                for (var i = 0; i < processes; i++)
                {
                    var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
                    start.ArgumentList.Add("-c");
                    start.ArgumentList.Add("while :; do :; done");
                    load._processes.Add(Process.Start(start) ?? throw new InvalidOperationException("A load process did not start."));
                }
            }
            catch
            {
                load.Dispose();
                throw;
            }

            return load;
        }

        public void Dispose()
        {
            foreach (var process in _processes)
            {
                try
                {
                    process.Kill();
                    process.WaitForExit();
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                process.Dispose();
            }
        }
    }
}
