#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Pauses a running VM (or resumes a paused one) and prints the event that confirms it.
// Usage: dotnet run samples/scripts/pause-resume.cs -- unix:/path/to/qmp.sock [pause|resume|toggle]
using Qmp.Net;

if (args.Length is < 1 or > 2 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/pause-resume.cs -- unix:/path/to/qmp.sock [pause|resume|toggle]");
    return 2;
}

var action = args.Length == 2 ? args[1] : "toggle";
await using var client = await QmpClient.ConnectAsync(endpoint);
var running = (await client.ExecuteAsync("query-status")).GetProperty("running").GetBoolean();
var pause = action switch
{
    "pause" => true,
    "resume" => false,
    "toggle" => running,
    _ => throw new ArgumentException($"unknown action '{action}': use pause, resume or toggle"),
};

if (pause == running)
{
    var expected = pause ? "STOP" : "RESUME";
    var confirmed = client.WaitForEventAsync(expected);
    await client.ExecuteAsync(pause ? "stop" : "cont");
    var e = await confirmed.WaitAsync(TimeSpan.FromSeconds(10));
    Console.WriteLine($"{(pause ? "paused" : "resumed")} ({e.Name} at {e.Timestamp:O})");
}
else
{
    Console.WriteLine($"already {(running ? "running" : "paused")}");
}

var status = (await client.ExecuteAsync("query-status")).GetProperty("status").GetString();
Console.WriteLine($"status: {status}");
return 0;
