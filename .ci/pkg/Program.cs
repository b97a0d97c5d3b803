// The console program of .ci/pkg.sh's package-consumer test: what a user writes after `dotnet add package Qmp.Net`.
// It starts a real QEMU through the package's QemuProcess, runs commands, waits for an event, sees an error, and quits;
// on net10.0 it also runs Qmp.Net.Testing's QemuLike server. Any failure throws, so the exit code is not 0.
using System.Reflection;
using Qmp.Net;
using Qmp.Net.Qemu;
#if NET10_0_OR_GREATER
using Qmp.Net.Testing;
#endif

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var ct = timeout.Token;

var library = typeof(QmpClient).Assembly;
var version = library.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
Console.WriteLine($"consumer ({AppContext.TargetFrameworkName}): Qmp.Net {version} from {Path.GetFileName(library.Location)}");
if (args.Length == 1 && version?.StartsWith(args[0] + "+", StringComparison.Ordinal) != true)
{
    throw new InvalidOperationException($"expected Qmp.Net {args[0]}+<commit>, got {version}");
}

// The package's build for this target framework (lib/net8.0 for the net8.0 build), not another one.
var built = library.GetCustomAttribute<System.Runtime.Versioning.TargetFrameworkAttribute>()?.FrameworkName;
if (built != AppContext.TargetFrameworkName)
{
    throw new InvalidOperationException($"Qmp.Net was built for {built}, the program for {AppContext.TargetFrameworkName}");
}

await using (var qemu = await QemuProcess.StartAsync(
    new QemuStartOptions { Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"] }, ct))
{
    var client = qemu.Client;
    Console.WriteLine($"consumer: QEMU {qemu.Version}, pid {qemu.ProcessId}");
    await Check(client, ct);
    var how = await qemu.StopAsync(TimeSpan.FromSeconds(5), ct);
    Console.WriteLine($"consumer: QEMU stopped ({how})");
}

#if NET10_0_OR_GREATER
await using (var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike, ct))
await using (var client = await QmpClient.ConnectAsync(server.Endpoint, cancellationToken: ct))
{
    await Check(client, ct);
    Console.WriteLine("consumer: Qmp.Net.Testing QemuLike server answered the same");
}
#endif

Console.WriteLine("consumer: OK");
return 0;

static async Task Check(QmpClient client, CancellationToken ct)
{
    var before = await client.ExecuteAsync("query-status", cancellationToken: ct);
    Expect(before.GetProperty("status").GetString() == "prelaunch", $"status {before}");
    var resumed = client.WaitForEventAsync("RESUME", cancellationToken: ct);
    await client.ExecuteAsync("cont", cancellationToken: ct);
    var resume = await resumed;
    var after = await client.ExecuteAsync("query-status", cancellationToken: ct);
    Expect(after.GetProperty("running").GetBoolean(), $"status {after}");
    Console.WriteLine($"consumer: cont -> {resume}, status {after.GetProperty("status").GetString()}");
    try
    {
        await client.ExecuteAsync("no-such-command", cancellationToken: ct);
        Expect(false, "no-such-command succeeded");
    }
    catch (QmpErrorException e) when (e.ErrorClass == "CommandNotFound")
    {
        Console.WriteLine($"consumer: no-such-command -> {e.ErrorClass}");
    }
}

static void Expect(bool condition, string what)
{
    if (!condition)
    {
        throw new InvalidOperationException($"consumer check failed: {what}");
    }
}
