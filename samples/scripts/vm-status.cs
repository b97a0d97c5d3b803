#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Prints the QEMU version and run state of a running VM.
// Usage: dotnet run samples/scripts/vm-status.cs -- unix:/path/to/qmp.sock
using Qmp.Net;

if (args.Length != 1 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/vm-status.cs -- unix:/path/to/qmp.sock | host:port");
    return 2;
}

await using var client = await QmpClient.ConnectAsync(endpoint);
var status = await client.ExecuteAsync("query-status");
var name = await client.ExecuteAsync("query-name");
Console.WriteLine($"QEMU {client.Greeting!.Version}");
Console.WriteLine($"name:    {(name.TryGetProperty("name", out var n) ? n.GetString() : "(none)")}");
Console.WriteLine($"status:  {status.GetProperty("status").GetString()}");
Console.WriteLine($"running: {status.GetProperty("running").GetBoolean()}");
await client.DisconnectAsync();
return 0;
