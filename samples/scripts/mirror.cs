#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Mirrors one block node onto another, shows the progress, then pivots the disk to the copy.
// Usage: dotnet run samples/scripts/mirror.cs -- unix:/path/to/qmp.sock SOURCE-NODE TARGET-NODE
using System.Text.Json.Nodes;
using Qmp.Net;
using Qmp.Net.Jobs;

if (args.Length != 3 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/mirror.cs -- unix:/path/to/qmp.sock SOURCE-NODE TARGET-NODE");
    return 2;
}

await using var client = await QmpClient.ConnectAsync(endpoint);
await using var jobs = new QmpJobManager(client);
try
{
    var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["device"] = args[1], ["target"] = args[2], ["sync"] = "full" });
    Console.WriteLine($"started {job}");
    using var watching = new CancellationTokenSource();
    var progress = Task.Run(async () =>
    {
        await foreach (var p in job.WatchAsync(watching.Token))
        {
            Console.WriteLine($"  {p.Status,-9} {p.Current}/{p.Total} bytes ({p.Fraction:P0})");
        }
    });
    await job.CompleteAsync();   // waits for ready (the copy caught up), then pivots
    await job.Completion;
    await progress;
    Console.WriteLine($"mirror done: {args[2]} now serves the disk");
    return 0;
}
catch (QmpJobException e)
{
    Console.Error.WriteLine($"mirror failed: {e.Message}");
    return 1;
}
