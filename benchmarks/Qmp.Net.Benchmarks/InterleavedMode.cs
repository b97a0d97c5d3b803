using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Qmp.Net.Benchmarks;

/// <summary>Run with <c>-- --interleaved</c>: the sequential round-trip ratios of scenarios 1 and 6 measured the way a noisy,
/// shared machine allows. BenchmarkDotNet runs each case in its own process, minutes apart, so a change in the machine's load
/// between them lands in the ratio. Here the bare socket and Qmp.Net alternate in blocks (in alternating order) within one
/// process, over the same responder or QEMU, and the ratio is of the summed times. On real QEMU it also compares Qmp.Net
/// with the blocking and C floors (<see cref="FloorComparison"/>).</summary>
public static class InterleavedMode
{
    public static async Task<int> RunAsync()
    {
        var rows = new List<string>();
        foreach (var transport in new[] { Transport.Unix, Transport.Tcp })
        {
            await using var server = QmpResponder.Start(transport);
            using var raw = await RawQmpConnection.ConnectAsync(server.SocketEndPoint, RawQmpConnection.Capabilities);
            await using var client = await QmpClient.ConnectAsync(server.Endpoint, BenchIo.Options);
            rows.Add(await CompareAsync($"In-process responder, {transport}", raw, client, rounds: 20, block: 2000));
        }

        IReadOnlyList<string> floorRows = [];
        if (Qemu.IsAvailable)
        {
            floorRows = await FloorComparison.RunAsync();
            using var qemu = Qemu.Start(monitors: 2);
            using var raw = await RawQmpConnection.ConnectAsync(new UnixDomainSocketEndPoint(qemu.Sockets[1]), RawQmpConnection.CapabilitiesWithOob);
            await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(qemu.Sockets[0]), BenchIo.Options);
            rows.Add(await CompareAsync("Real QEMU, Unix", raw, client, rounds: 10, block: 500));
        }
        else
        {
            Console.WriteLine($"Skipping real QEMU: {Qemu.Binary} was not found.");
        }

        Console.WriteLine();
        Console.WriteLine("| Sequential query-status | Round trips each | Bare socket | Qmp.Net | Ratio |");
        Console.WriteLine("|-------------------------|-----------------:|------------:|--------:|------:|");
        rows.ForEach(Console.WriteLine);
        if (floorRows.Count > 0)
        {
            FloorComparison.Print(floorRows);
        }

        return 0;
    }

    public static async Task<string> CompareAsync(string label, RawQmpConnection raw, QmpClient client, int rounds, int block)
    {
        double rawTime = 0, qmpTime = 0;

        // Two rounds of warm-up, not counted.
        for (var round = -2; round < rounds; round++)
        {
            var rawFirst = round % 2 == 0;
            for (var turn = 0; turn < 2; turn++)
            {
                var bare = rawFirst == (turn == 0);
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < block; i++)
                {
                    if (bare)
                    {
                        await raw.RoundTripAsync(RawQmpConnection.QueryStatus);
                    }
                    else
                    {
                        await client.ExecuteAsync("query-status");
                    }
                }

                if (round >= 0)
                {
                    if (bare)
                    {
                        rawTime += watch.Elapsed.TotalMicroseconds;
                    }
                    else
                    {
                        qmpTime += watch.Elapsed.TotalMicroseconds;
                    }
                }
            }
        }

        var count = rounds * block;
        return string.Create(CultureInfo.InvariantCulture, $"| {label} | {count:N0} | {rawTime / count:F1} µs | {qmpTime / count:F1} µs | {qmpTime / rawTime:F2} |");
    }
}
