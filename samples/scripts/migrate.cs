#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Live-migrates a VM to a second QEMU started with -incoming defer (same machine type), with progress on both ends.
// Usage: dotnet run samples/scripts/migrate.cs -- unix:/source/qmp.sock unix:/destination/qmp.sock unix:/path/to/migration.sock
using Qmp.Net;
using Qmp.Net.Migration;

if (args.Length != 3 || !QmpEndpoint.TryParse(args[0], out var sourceEndpoint) || !QmpEndpoint.TryParse(args[1], out var destinationEndpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/migrate.cs -- SOURCE-QMP DESTINATION-QMP MIGRATION-URI");
    return 2;
}

await using var source = await QmpClient.ConnectAsync(sourceEndpoint);
await using var destination = await QmpClient.ConnectAsync(destinationEndpoint);
try
{
    await using var incoming = await QmpMigration.StartIncomingAsync(destination, args[2]);
    await using var outgoing = await QmpMigration.StartAsync(source, args[2]);
    var status = await outgoing.WaitAsync(new Progress<QmpMigrationProgress>(p =>
        Console.WriteLine($"  {p.Status,-10} {p.TransferredBytes} sent, {p.RemainingBytes} left of {p.TotalBytes} bytes")));
    var arrived = await incoming.Completion;
    var state = (await destination.ExecuteAsync("query-status")).GetProperty("status").GetString();
    Console.WriteLine($"migration {status} (destination {arrived}, destination VM {state})");
    return status == QmpMigrationStatus.Completed ? 0 : 1;
}
catch (QmpMigrationException e)
{
    Console.Error.WriteLine($"migration failed: {e.QemuError ?? e.Message}");
    return 1;
}
