#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Saves a screenshot of a VM that has a display (QEMU writes the file itself, so the path is on QEMU's host).
// Usage: dotnet run samples/scripts/screendump.cs -- unix:/path/to/qmp.sock /tmp/screen.png
using System.Text.Json.Nodes;
using Qmp.Net;

if (args.Length != 2 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/screendump.cs -- unix:/path/to/qmp.sock /absolute/path/screen.png");
    return 2;
}

var file = Path.GetFullPath(args[1]);
var format = file.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "png" : "ppm";
await using var client = await QmpClient.ConnectAsync(endpoint);
try
{
    // File-based programs are native-AOT ready (no reflection-based JSON), so arguments are given as a JsonObject.
    await client.ExecuteAsync("screendump", new JsonObject { ["filename"] = file, ["format"] = format });
    Console.WriteLine($"saved {file} ({new FileInfo(file).Length} bytes, {format})");
    return 0;
}
catch (QmpErrorException e)
{
    // A VM started with -display none and no graphics device has nothing to capture.
    Console.Error.WriteLine($"QEMU refused the screendump: {e.ErrorClass}: {e.Description}");
    return 1;
}
