#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Passing a file descriptor to QEMU: this program opens a file, hands QEMU its descriptor with add-fd (SCM_RIGHTS over
// the monitor's Unix socket), adds a block node on /dev/fdset/N, has QEMU write to it with qemu-io and reads the bytes
// back from the file. QEMU never opens the path itself, so the file need not be accessible to QEMU's user.
// Usage: dotnet run samples/scripts/fd-passing.cs -- unix:/path/to/qmp.sock
using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net;

if (args.Length != 1 || !QmpEndpoint.TryParse(args[0], out var endpoint) || endpoint is not QmpUnixEndpoint)
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/fd-passing.cs -- unix:/path/to/qmp.sock (descriptors travel only over Unix sockets)");
    return 2;
}

var path = Path.Combine(Directory.CreateTempSubdirectory("qmp-fd-").FullName, "disk.raw");
await using (var create = File.Create(path))
{
    create.SetLength(1024 * 1024);
}

await using var client = await QmpClient.ConnectAsync(endpoint);
int fdset;
using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
{
    // QEMU keeps its own duplicate of the descriptor; ours can be closed as soon as the command has been answered.
    var added = await client.ExecuteAsync("add-fd", new JsonObject(), [file]);
    fdset = added.GetProperty("fdset-id").GetInt32();
    Console.WriteLine($"add-fd: fdset {fdset}, QEMU's descriptor {added.GetProperty("fd").GetInt32()}");
}

var node = $"fd{fdset}";
await client.ExecuteAsync("blockdev-add", new JsonObject
{
    ["driver"] = "raw",
    ["node-name"] = node,
    ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = $"/dev/fdset/{fdset}" },
});
Console.WriteLine($"blockdev-add: node {node} on /dev/fdset/{fdset}");

var output = await client.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = $"qemu-io {node} \"write -P 0x5a 4096 4096\"" });
// QEMU 7.2 prints qemu-io's report on its own stdout, not in the command's answer.
var report = output.GetString()!.Trim();
Console.WriteLine($"qemu-io: wrote 4 KiB of 0x5a at offset 4096{(report.Length > 0 ? " (" + report.Replace("\r\n", " / ", StringComparison.Ordinal) + ")" : "")}");
await client.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node });
await client.ExecuteAsync("remove-fd", new JsonObject { ["fdset-id"] = fdset });
await client.DisconnectAsync();

var bytes = await File.ReadAllBytesAsync(path);
var written = bytes.AsSpan(4096, 4096).ToArray().All(b => b == 0x5a);
var untouched = bytes.AsSpan(0, 4096).ToArray().All(b => b == 0);
Console.WriteLine($"read back from {path}: bytes 4096-8191 {(written ? "are 0x5a" : "are NOT 0x5a")}, bytes 0-4095 {(untouched ? "still zero" : "CHANGED")}");
Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
return written && untouched ? 0 : 1;
