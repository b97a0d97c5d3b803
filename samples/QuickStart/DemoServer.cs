using Qmp.Net;
using Qmp.Net.Qemu;

namespace QuickStart;

/// <summary>The QMP server the quick start talks to. Today that is a real QEMU started through <see cref="QemuProcess"/>;
/// an embedded server for machines without QEMU plugs in here as a second implementation.</summary>
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

    /// <summary>Starts the best server available, or returns null when there is none (then prints what to install).</summary>
    public static async Task<IDemoServer?> StartAsync(CancellationToken cancellationToken)
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
            // The seam for an embedded fallback server: start it here instead of giving up.
            return null;
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
}
