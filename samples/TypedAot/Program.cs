using Qmp.Net;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;

// Typed QMP in a native-AOT binary (samples/TypedAot/README.md): every step goes through Qmp.Net.Qapi's generated
// records and their generated readers and writers (no reflection), with the schema check against the connected QEMU on.
//   TypedAot                          starts qemu-system-x86_64 from PATH (-machine pc, paused)
//   TypedAot --qemu BINARY [-L DIR]   starts that QEMU binary (-L: its firmware directory)
//   TypedAot --socket PATH            connects to a QMP monitor that listens on a Unix socket
// Exit codes: 0 every step worked, 1 a step failed, 2 wrong usage or no QEMU to talk to.
string? binary = null, firmware = null, socket = null;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--qemu" when value is not null: binary = value; i++; break;
        case "-L" when value is not null: firmware = value; i++; break;
        case "--socket" when value is not null: socket = value; i++; break;
        default:
            Console.Error.WriteLine($"usage: TypedAot [--qemu BINARY [-L DIR] | --socket PATH] (unexpected '{args[i]}')");
            return 2;
    }
}

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var ct = timeout.Token;

QemuProcess? qemu = null;
QmpClient client;
try
{
    if (socket is not null)
    {
        client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(socket), cancellationToken: ct);
    }
    else
    {
        string[] firmwareArguments = firmware is null ? [] : ["-L", firmware];
        qemu = await QemuProcess.StartAsync(
            new QemuStartOptions
            {
                Binary = binary ?? "qemu-system-x86_64",
                Arguments = [.. firmwareArguments, "-machine", "pc", "-nodefaults", "-display", "none", "-S"],
            },
            ct);
        client = qemu.Client;
    }
}
catch (Exception e) when (e is QmpException or QemuStartException)
{
    Console.Error.WriteLine($"TypedAot: no QEMU to talk to: {e.Message}");
    return 2;
}

try
{
    await RunAsync(client, ct);
    Console.WriteLine("TypedAot: all typed steps worked");
    return 0;
}
catch (Exception e) when (e is QmpException or InvalidOperationException or OperationCanceledException)
{
    Console.Error.WriteLine($"TypedAot: failed: {e.GetType().Name}: {e.Message}");
    return 1;
}
finally
{
    await client.DisposeAsync();
    if (qemu is not null)
    {
        await qemu.DisposeAsync();
    }
}

static async Task RunAsync(QmpClient client, CancellationToken ct)
{
    var commands = client.Commands;
    var schema = await client.PrepareQapiCheckAsync(ct);
    Console.WriteLine($"schema: {schema.Commands.Count} commands, {schema.Events.Count} events (check {(client.QapiCheck.Enabled ? "on" : "off")})");

    VersionInfo version = await commands.QueryVersionAsync(ct);
    Console.WriteLine($"query-version: QEMU {version.Qemu.Major}.{version.Qemu.Minor}.{version.Qemu.Micro} package '{version.Package}'");

    StatusInfo status = await commands.QueryStatusAsync(ct);
    Console.WriteLine($"query-status: {status.Status.Value} (running: {status.Running})");

    // A paused QEMU is resumed first and a running one stopped first, so that each command changes the run state and
    // QEMU sends its event. RESUME is read from a subscription and decoded with Decode(); STOP is awaited typed.
    using (var events = client.SubscribeEvents(e => e.Name == "RESUME"))
    {
        if (status.Running)
        {
            await StopAsync(client, ct);
        }

        await commands.ContAsync(ct);
        switch ((await events.ReadAsync(ct)).Decode())
        {
            case ResumeEvent resume:
                Console.WriteLine($"cont: typed RESUME at {resume.Event.Timestamp:HH:mm:ss.ffffff}");
                break;
            case var other:
                throw new InvalidOperationException($"RESUME did not decode: {other.Event.Name}");
        }
    }

    Require((await commands.QueryStatusAsync(ct)).Status == RunState.Running, "query-status after cont is not running");
    await StopAsync(client, ct);
    Require((await commands.QueryStatusAsync(ct)).Status == RunState.Paused, "query-status after stop is not paused");

    // blockdev-add takes the BlockdevOptions union: its null-co branch record sets the driver tag itself.
    await commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "aot-null0", Size = 1 << 20, ReadZeroes = true }, ct);
    IReadOnlyList<BlockDeviceInfo> nodes = await commands.QueryNamedBlockNodesAsync(new QueryNamedBlockNodesArguments { Flat = true }, ct);
    var node = nodes.SingleOrDefault(n => n.NodeName == "aot-null0")
        ?? throw new InvalidOperationException("query-named-block-nodes does not list aot-null0");
    Console.WriteLine($"blockdev-add: {node.NodeName} driver {node.Drv}, {node.Image.VirtualSize} bytes, read-only {node.Ro}");
    Require(node.Drv == "null-co" && node.Image.VirtualSize == 1 << 20, "aot-null0 is not a 1 MiB null-co node");
    IReadOnlyList<BlockInfo> block = await commands.QueryBlockAsync(ct);
    Console.WriteLine($"query-block: {block.Count} block backends");
    await commands.BlockdevDelAsync(new BlockdevDelArguments { NodeName = "aot-null0" }, ct);

    // device_add is open (QAPI 'gen': false): the device's own properties go in Properties (strings, numbers, bools,
    // JsonObject/JsonArray for nested values), written by the generated writer, no reflection. qom-get
    // reads one back.
    await commands.DeviceAddAsync(
        new DeviceAddArguments
        {
            Driver = "virtio-rng-pci",
            Id = "aot-rng0",
            Properties = new() { ["max-bytes"] = 4096, ["period"] = 2000, ["ioeventfd"] = true, ["addr"] = "0x10" },
        },
        ct);
    var maxBytes = await commands.QomGetAsync(new QomGetArguments { Path = "/machine/peripheral/aot-rng0", Property = "max-bytes" }, ct);
    Console.WriteLine($"device_add: aot-rng0 (virtio-rng-pci), qom-get max-bytes = {maxBytes}");
    Require(maxBytes.ValueKind == System.Text.Json.JsonValueKind.Number && maxBytes.GetUInt64() == 4096, "aot-rng0's max-bytes is not 4096");

    var shutdown = client.WaitForEventAsync<ShutdownEvent>(cancellationToken: ct);
    try
    {
        await commands.QuitAsync(ct);
    }
    catch (QmpConnectionClosedException)
    {
        // QEMU may close the socket before its answer is read (docs/protocol.md, "quit").
    }

    var e = await shutdown;
    Console.WriteLine($"quit: typed SHUTDOWN, reason {e.Reason.Value}");
    Require(e.Reason == ShutdownCause.HostQmpQuit, "SHUTDOWN's reason is not host-qmp-quit");
}

static async Task StopAsync(QmpClient client, CancellationToken ct)
{
    var stopped = client.WaitForEventAsync<StopEvent>(cancellationToken: ct);
    await client.Commands.StopAsync(ct);
    var stop = await stopped;
    Console.WriteLine($"stop: typed STOP at {stop.Event.Timestamp:HH:mm:ss.ffffff}");
}

static void Require(bool condition, string failure)
{
    if (!condition)
    {
        throw new InvalidOperationException(failure);
    }
}
