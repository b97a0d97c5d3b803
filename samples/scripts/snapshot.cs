#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Saves an internal snapshot of the VM on a qcow2 node, loads it back and deletes it (snapshot-* jobs, QEMU 6.0+).
// Usage: dotnet run samples/scripts/snapshot.cs -- unix:/path/to/qmp.sock QCOW2-NODE TAG
using System.Text.Json.Nodes;
using Qmp.Net;
using Qmp.Net.Jobs;

if (args.Length != 3 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/snapshot.cs -- unix:/path/to/qmp.sock QCOW2-NODE TAG");
    return 2;
}

var (node, tag) = (args[1], args[2]);
await using var client = await QmpClient.ConnectAsync(endpoint);
await using var jobs = new QmpJobManager(client);
try
{
    await jobs.SaveSnapshotAsync(tag, node, [node]);
    Console.WriteLine($"saved '{tag}' on {node}");
    var list = await client.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = "info snapshots" });
    Console.Write(list.GetString());
    await jobs.LoadSnapshotAsync(tag, node, [node]);
    Console.WriteLine($"loaded '{tag}'");
    await jobs.DeleteSnapshotAsync(tag, [node]);
    Console.WriteLine($"deleted '{tag}'");
    return 0;
}
catch (QmpJobException e)
{
    Console.Error.WriteLine($"{e.JobType} failed: {e.QemuError ?? e.Message}");
    return 1;
}
