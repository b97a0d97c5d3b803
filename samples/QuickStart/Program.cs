using Qmp.Net;
using QuickStart;

// Qmp.Net quick start: start a server, look at it, pause and resume it while its events print, show an error, quit.
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var ct = timeout.Token;

await using var server = await DemoServer.StartAsync(ct);
if (server is null)
{
    Console.WriteLine($"Server: none. {DemoServer.QemuBinary} is not installed.");
    Console.WriteLine($"Install QEMU, then run this again:  sudo apt-get install {DemoServer.QemuPackage}");
    return 1;
}

Console.WriteLine($"Server: {server.Description}");
var client = server.Client;
Console.WriteLine($"Version: {client.Greeting!.Version}  (capabilities: {string.Join(", ", client.NegotiatedCapabilities)})");
var status = await client.ExecuteAsync("query-status", cancellationToken: ct);
Console.WriteLine($"Status: {status.GetProperty("status").GetString()}");

// Events arrive on their own; print them as they come, until the connection ends.
using var printed = new SemaphoreSlim(0);
var printer = Task.Run(
    async () =>
    {
        await foreach (var e in client.Events.WithCancellation(ct))
        {
            Console.WriteLine($"  event #{e.Sequence} {e.Name} {e.Data.GetRawText()} at {e.Timestamp:HH:mm:ss.ffffff}");
            printed.Release();
        }
    },
    ct);

foreach (var command in new[] { "cont", "stop", "cont" })
{
    Console.WriteLine($"> {command}");
    await client.ExecuteAsync(command, cancellationToken: ct);
    await printed.WaitAsync(ct); // each of these changes the run state, so QEMU sends one event (RESUME or STOP)
    var now = await client.ExecuteAsync("query-status", cancellationToken: ct);
    Console.WriteLine($"  status is now {now.GetProperty("status").GetString()}");
}

Console.WriteLine("> no-such-command");
try
{
    await client.ExecuteAsync("no-such-command", cancellationToken: ct);
}
catch (QmpErrorException e)
{
    Console.WriteLine($"  QmpErrorException: class {e.ErrorClass}, description \"{e.Description}\"");
}

Console.WriteLine("> quit");
await client.ExecuteAsync("quit", cancellationToken: ct);
await client.Completion.WaitAsync(ct);
await printer;
Console.WriteLine(await server.WaitForExitAsync(ct));
return 0;
