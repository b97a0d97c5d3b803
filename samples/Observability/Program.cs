using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Qmp.Net;
using Qmp.Net.Qemu;
using Qmp.Net.Testing;

// Qmp.Net's metrics and traces, exported to the console by OpenTelemetry: a few commands (one of them failing) and an
// event, against a real QEMU when qemu-system-x86_64 is on PATH, else against the embedded QemuLike server.
#region providers
using var tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource(QmpTelemetry.Name)
    .AddConsoleExporter()
    .Build();
using var metrics = Sdk.CreateMeterProviderBuilder()
    .AddMeter(QmpTelemetry.Name)
    .AddConsoleExporter()
    .Build();
#endregion

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
QemuProcess? qemu = null;
QmpTestServer? embedded = null;
QmpClient client;
try
{
    qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"] }, timeout.Token);
    client = qemu.Client;
    Console.WriteLine("Server: real QEMU " + client.Greeting!.Version);
}
catch (QemuStartException)
{
    embedded = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike, timeout.Token);
    client = await QmpClient.ConnectAsync(embedded.Endpoint, cancellationToken: timeout.Token);
    Console.WriteLine("Server: embedded QemuLike server");
}

await client.ExecuteAsync("query-status", cancellationToken: timeout.Token);
await client.ExecuteAsync("cont", cancellationToken: timeout.Token);       // RESUME arrives while cont is in flight
try
{
    await client.ExecuteAsync("no-such-command", cancellationToken: timeout.Token);
}
catch (QmpErrorException e)
{
    Console.WriteLine($"(expected) {e.ErrorClass}: {e.Description}");
}

if (qemu is not null)
{
    await qemu.DisposeAsync();                                               // quit, then the process is gone
}
else
{
    await client.DisposeAsync();
    await embedded!.DisposeAsync();
}

// Disposing the providers (end of scope) flushes what they hold to the console.
return 0;
