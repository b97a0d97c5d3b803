#:project ../../src/Qmp.Net/Qmp.Net.csproj
// One QmpListener serving several QEMUs: QEMU is the client of its monitor socket and connects to us.
// Starts three QEMUs that connect to the listener, accepts them, prints each one's name and status, and quits them.
// Usage: dotnet run samples/scripts/listener.cs -- [path/to/qemu-system-x86_64 [more QEMU arguments, e.g. -L DIR]]
using System.Diagnostics;
using System.Text.RegularExpressions;
using Qmp.Net;

var qemu = args.Length > 0 ? args[0] : "qemu-system-x86_64";
var extra = args.Skip(1).ToArray();

// QEMU 9.2 renamed the chardev's reconnect option (seconds) to reconnect-ms; QEMU 7.2 knows only the old one.
var version = await VersionOfAsync(qemu);
var reconnect = version >= new Version(9, 2) ? "reconnect-ms=1000" : "reconnect=1";
Console.WriteLine($"QEMU {version} ({qemu}), chardev option {reconnect}");

var directory = Directory.CreateTempSubdirectory("qmp-listener-").FullName;
var socket = Path.Combine(directory, "qmp.sock");
await using var listener = QmpListener.Listen(QmpEndpoint.Unix(socket));
Console.WriteLine($"Listening on {listener.Endpoint}");

string[] names = ["vm-a", "vm-b", "vm-c"];
var processes = names.Select(name => Start(qemu, [.. extra, "-machine", "none", "-nodefaults", "-display", "none", "-S", "-name", name,
    "-chardev", $"socket,id=m0,path={socket},{reconnect}", "-mon", "chardev=m0,mode=control"])).ToList();
var clients = new List<QmpClient>();
try
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    foreach (var _ in names)
    {
        clients.Add(await listener.AcceptAsync(timeout.Token));
    }

    foreach (var client in clients)
    {
        var name = await client.ExecuteAsync("query-name", cancellationToken: timeout.Token);
        var status = await client.ExecuteAsync("query-status", cancellationToken: timeout.Token);
        Console.WriteLine($"accepted {name.GetProperty("name").GetString()}: QEMU {client.Greeting!.Version.AsVersion}, status {status.GetProperty("status").GetString()}");
    }

    foreach (var client in clients)
    {
        try
        {
            await client.ExecuteAsync("quit", cancellationToken: timeout.Token);
        }
        catch (QmpConnectionClosedException)
        {
            // QEMU may close the socket before its answer is read: it quit all the same.
        }
    }

    foreach (var process in processes)
    {
        await process.WaitForExitAsync(timeout.Token);
    }

    Console.WriteLine($"quit {clients.Count} QEMUs");
    return clients.Count == names.Length ? 0 : 1;
}
finally
{
    foreach (var client in clients)
    {
        await client.DisposeAsync();
    }

    foreach (var process in processes)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }

        process.Dispose();
    }

    Directory.Delete(directory, recursive: true);
}

static Process Start(string binary, IEnumerable<string> arguments)
{
    var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in arguments)
    {
        info.ArgumentList.Add(argument);
    }

    var process = Process.Start(info)!;
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

static async Task<Version> VersionOfAsync(string binary)
{
    using var process = Process.Start(new ProcessStartInfo(binary, "--version") { RedirectStandardOutput = true })!;
    var text = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    var match = Regex.Match(text, @"version (\d+)\.(\d+)\.(\d+)");
    return match.Success ? new Version(int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), int.Parse(match.Groups[3].Value))
        : throw new InvalidOperationException($"{binary} --version printed no version: {text}");
}
