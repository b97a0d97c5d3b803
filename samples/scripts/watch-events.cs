#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Prints a VM's events as they arrive, until Ctrl+C or until the VM goes away.
// Usage: dotnet run samples/scripts/watch-events.cs -- unix:/path/to/qmp.sock
using Qmp.Net;

if (args.Length != 1 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/watch-events.cs -- unix:/path/to/qmp.sock | host:port");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

await using var client = await QmpClient.ConnectAsync(endpoint);
Console.WriteLine($"Watching events of QEMU {client.Greeting!.Version}; Ctrl+C to stop.");
try
{
    await foreach (var e in client.Events.WithCancellation(stop.Token))
    {
        Console.WriteLine($"{e.Timestamp:HH:mm:ss.ffffff} #{e.Sequence} {e.Name} {e.Data}");
    }

    Console.WriteLine("The VM closed the connection.");
}
catch (OperationCanceledException)
{
    Console.WriteLine("Stopped.");
}

if (client.Events.DroppedCount > 0)
{
    Console.WriteLine($"{client.Events.DroppedCount} events were dropped because they were not read fast enough.");
}

return 0;
