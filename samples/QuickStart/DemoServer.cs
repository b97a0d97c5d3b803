using Qmp.Net;
using Qmp.Net.Qemu;
using Qmp.Net.Testing;

namespace QuickStart;

/// <summary>The QMP server the quick start talks to: a real QEMU started through <see cref="QemuProcess"/> when one is
/// installed, otherwise Qmp.Net.Testing's embedded server with its QemuLike profile.</summary>
internal interface IDemoServer : IAsyncDisposable
{
    /// <summary>Gets a one-line description of the server, printed first.</summary>
    string Description { get; }

    /// <summary>Gets the connected client.</summary>
    QmpClient Client { get; }

    /// <summary>Waits until the server has gone after <c>quit</c> and describes how it ended.</summary>
    Task<string> WaitForExitAsync(CancellationToken cancellationToken);
}

internal static class DemoServer
{
    public const string QemuBinary = "qemu-system-x86_64";
    public const string QemuPackage = "qemu-system-x86";

    /// <summary>Starts a real QEMU, or the embedded QemuLike server when <see cref="QemuBinary"/> is not on PATH.</summary>
    public static async Task<IDemoServer> StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var qemu = await QemuProcess.StartAsync(
                new QemuStartOptions
                {
                    Binary = QemuBinary,
                    // No machine, no devices, no display, paused: a QMP monitor that starts in milliseconds.
                    Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
                },
                cancellationToken);
            return new RealQemu(qemu);
        }
        catch (QemuStartException e) when (e.ExitCode is null && e.Message.Contains("not found", StringComparison.Ordinal))
        {
            // No QEMU here: the embedded server answers these commands as QEMU 7.2 on -machine none -S does.
            return await EmbeddedServer.StartAsync(cancellationToken);
        }
    }

    private sealed class RealQemu(QemuProcess qemu) : IDemoServer
    {
        public string Description => $"real QEMU: {qemu.BinaryPath} (pid {qemu.ProcessId}), QMP monitor at {qemu.Endpoint}";

        public QmpClient Client => qemu.Client;

        public async Task<string> WaitForExitAsync(CancellationToken cancellationToken) =>
            $"QEMU exited with code {await qemu.Exited.WaitAsync(cancellationToken)}";

        public ValueTask DisposeAsync() => qemu.DisposeAsync();
    }

    private sealed class EmbeddedServer(QmpTestServer server, QmpClient client) : IDemoServer
    {
        public string Description =>
            $"embedded QemuLike server from Qmp.Net.Testing at {server.Endpoint} ({QemuBinary} was not found on PATH; " +
            $"'sudo apt-get install {QemuPackage}' gives you a real one)";

        public QmpClient Client => client;

        public static async Task<IDemoServer> StartAsync(CancellationToken cancellationToken)
        {
            var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike, cancellationToken);
            try
            {
                return new EmbeddedServer(server, await QmpClient.ConnectAsync(server.Endpoint, cancellationToken: cancellationToken));
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public async Task<string> WaitForExitAsync(CancellationToken cancellationToken)
        {
            await server.WaitForDisconnectAsync(cancellationToken);
            return "The embedded server closed the connection after quit, as QEMU does when it exits";
        }

        public async ValueTask DisposeAsync()
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }
    }
}
