using Qmp.Net.Qemu;

namespace Qmp.Net.Shell.Cli;

/// <summary>The connection the shell works on: a client on someone's QEMU, or a QEMU the shell started and owns.</summary>
internal sealed class ShellSession : IAsyncDisposable
{
    /// <summary>The arguments <c>--launch</c> gives QEMU when none follow <c>--</c>: a monitor-only machine, paused.</summary>
    public static readonly IReadOnlyList<string> DefaultQemuArguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"];

    private ShellSession(QmpClient client, QemuProcess? qemu, string description)
    {
        Client = client;
        Qemu = qemu;
        Description = description;
    }

    /// <summary>Gets the connected client.</summary>
    public QmpClient Client { get; }

    /// <summary>Gets the QEMU the shell started, or <see langword="null"/> when it connected to an existing one.</summary>
    public QemuProcess? Qemu { get; }

    /// <summary>Gets what the shell is connected to, for messages.</summary>
    public string Description { get; }

    /// <summary>Connects to the endpoint, or starts QEMU under <c>--launch</c>.</summary>
    /// <param name="options">The parsed command line.</param>
    /// <param name="endpoint">Where to connect (ignored under <c>--launch</c>).</param>
    /// <param name="echo">Echoes the JSON on the wire (<c>-v</c>), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels connecting or starting.</param>
    /// <returns>The open session.</returns>
    /// <exception cref="QmpException">Connecting or starting failed.</exception>
    public static async Task<ShellSession> OpenAsync(ShellOptions options, QmpEndpoint? endpoint, WireEcho? echo, CancellationToken cancellationToken)
    {
        var clientOptions = QmpClientOptions.Default with
        {
            ConnectTimeout = options.ConnectTimeout,
            EventBufferCapacity = 16 * 1024,
            LoggerFactory = echo,
        };
        if (options.Launch)
        {
            var qemu = await QemuProcess.StartAsync(
                new QemuStartOptions
                {
                    Binary = options.QemuBinary,
                    Arguments = options.QemuArguments.Count > 0 ? options.QemuArguments : DefaultQemuArguments,
                    ClientOptions = clientOptions,
                },
                cancellationToken).ConfigureAwait(false);
            return new ShellSession(qemu.Client, qemu, $"started by qmp as pid {qemu.ProcessId}");
        }

        ArgumentNullException.ThrowIfNull(endpoint);
        var client = await QmpClient.ConnectAsync(endpoint, clientOptions, cancellationToken).ConfigureAwait(false);
        return new ShellSession(client, null, endpoint.ToString());
    }

    /// <summary>Closes the connection; a QEMU the shell started is stopped (quit, then SIGTERM, then SIGKILL).</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Qemu is not null)
        {
            await Qemu.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await Client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
