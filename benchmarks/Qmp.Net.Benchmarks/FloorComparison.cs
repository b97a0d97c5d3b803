using System.Diagnostics;
using System.Globalization;

namespace Qmp.Net.Benchmarks;

/// <summary>Part of <c>--interleaved</c>: Qmp.Net against the blocking floor (<see cref="BlockingQmpConnection"/> on a
/// dedicated thread) and, when a C compiler is present, the C floor (<see cref="NativeFloorClient"/>), on real QEMU, for the
/// three workloads of <see cref="RealQemuBenchmarks"/>. The clients take turns in blocks within one process (the first of a
/// round rotates), so a change in the machine's load falls on all of them; ratios are of the summed times, and the median of
/// the per-round ratios is printed beside them.</summary>
public static class FloorComparison
{
    public static async Task<IReadOnlyList<string>> RunAsync(int rounds = 20, int block = 500)
    {
        var rows = new List<string>();
        using var qemu = Qemu.Start(monitors: 3);
        await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(qemu.Sockets[0]), BenchIo.Options);
        using var blocking = BlockingQmpConnection.Connect(qemu.Sockets[1]);
        using var native = NativeFloorClient.IsAvailable ? NativeFloorClient.Start(qemu.Sockets[2]) : null;

        rows.Add(await CompareAsync(
            rounds,
            block,
            "Sequential query-status",
            Blocking(blocking.Sequential),
            native is null ? null : Blocking(native.Sequential),
            async n =>
            {
                for (var i = 0; i < n; i++)
                {
                    await client.ExecuteAsync("query-status");
                }
            }));
        rows.Add(await CompareAsync(
            rounds,
            block,
            "8 in flight (floors: window of 8; Qmp.Net: 8 callers)",
            Blocking(n => blocking.Window(n, window: 8)),
            native is null ? null : Blocking(n => native.Window(n, window: 8)),
            n => RealQemuBenchmarks.EightCallersAsync(client, n)));

        // QEMU sends every event to every monitor: each client gets a QEMU of its own.
        using var qemuForClient = Qemu.Start(monitors: 1);
        using var qemuForBlocking = Qemu.Start(monitors: 1);
        using var qemuForNative = Qemu.Start(monitors: 1);
        await using var eventClient = await QmpClient.ConnectAsync(QmpEndpoint.Unix(qemuForClient.Sockets[0]), BenchIo.Options);
        using var blockingEvents = BlockingQmpConnection.Connect(qemuForBlocking.Sockets[0]);
        using var nativeEvents = native is null ? null : NativeFloorClient.Start(qemuForNative.Sockets[0]);
        rows.Add(await CompareAsync(
            rounds,
            block,
            "cont/stop, each with its event",
            Blocking(blockingEvents.EventRoundTrips),
            nativeEvents is null ? null : Blocking(nativeEvents.EventRoundTrips),
            n => RealQemuBenchmarks.EventRoundTripsAsync(eventClient, n)));
        return rows;
    }

    public static void Print(IReadOnlyList<string> rows)
    {
        Console.WriteLine();
        Console.WriteLine("| Real QEMU, Unix socket | Commands each | Blocking floor | C floor | Qmp.Net | Qmp.Net / blocking floor | median of rounds | Qmp.Net / C floor |");
        Console.WriteLine("|------------------------|--------------:|---------------:|--------:|--------:|-------------------------:|-----------------:|------------------:|");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }

        Console.WriteLine("Floors and Qmp.Net in commands/s; a ratio is Qmp.Net's commands/s over the floor's (1.00 = as fast as the floor).");
    }

    /// <summary>Runs a blocking client's block on a thread of its own, timed on that thread.</summary>
    private static Func<int, Task<double>> Blocking(Action<int> work) => n =>
    {
        var done = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var watch = Stopwatch.StartNew();
                work(n);
                done.SetResult(watch.Elapsed.TotalMicroseconds);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "blocking floor",
        };
        thread.Start();
        return done.Task;
    };

    private static async Task<string> CompareAsync(int rounds, int block, string label, Func<int, Task<double>> floor, Func<int, Task<double>>? native, Func<int, Task> qmpNet)
    {
        var contenders = new List<Func<int, Task<double>>> { floor };
        if (native is not null)
        {
            contenders.Add(native);
        }

        contenders.Add(async n =>
        {
            var watch = Stopwatch.StartNew();
            await qmpNet(n);
            return watch.Elapsed.TotalMicroseconds;
        });

        var totals = new double[contenders.Count];
        var roundRatios = new List<double>();

        // Two rounds of warm-up, not counted.
        for (var round = -2; round < rounds; round++)
        {
            var times = new double[contenders.Count];
            for (var turn = 0; turn < contenders.Count; turn++)
            {
                var which = (turn + Math.Max(round, 0)) % contenders.Count;
                times[which] = await contenders[which](block);
            }

            if (round >= 0)
            {
                for (var i = 0; i < times.Length; i++)
                {
                    totals[i] += times[i];
                }

                roundRatios.Add(times[0] / times[^1]);
            }
        }

        roundRatios.Sort();
        var median = roundRatios.Count % 2 == 1
            ? roundRatios[roundRatios.Count / 2]
            : (roundRatios[(roundRatios.Count / 2) - 1] + roundRatios[roundRatios.Count / 2]) / 2;
        var count = rounds * block;
        double Rate(double microseconds) => count / (microseconds / 1e6);
        var nativeRate = native is null ? "n/a" : Rate(totals[1]).ToString("N0", CultureInfo.InvariantCulture);
        var overNative = native is null ? "n/a" : (totals[1] / totals[^1]).ToString("F2", CultureInfo.InvariantCulture);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {label} | {count:N0} | {Rate(totals[0]):N0} | {nativeRate} | {Rate(totals[^1]):N0} | {totals[0] / totals[^1]:F2} | {median:F2} | {overNative} |");
    }
}
