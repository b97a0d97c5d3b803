using Qmp.Net;
using Qmp.Net.Qemu;
using Qmp.Net.Testing;

namespace Snippets;

/// <summary>The snippets of docs/qemu-process.md.</summary>
[CancelAfter(60_000)]
public sealed class QemuProcessSnippets
{
    [Test]
    public async Task Start_a_QEMU_and_query_it()
    {
        Qemu.Require();
        #region start
        var options = new QemuStartOptions
        {
            Binary = "qemu-system-x86_64",                                   // on PATH, or a full path
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
        };
        await using var qemu = await QemuProcess.StartAsync(options);

        Console.WriteLine($"QEMU {qemu.Version}, pid {qemu.ProcessId}, monitor at {qemu.Endpoint}");
        var status = await qemu.Client.ExecuteAsync("query-status");
        // leaving the block: quit, then SIGTERM, then SIGKILL if needed; the socket directory is deleted
        #endregion

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [Test]
    public async Task Bring_your_own_monitor()
    {
        Qemu.Require();
        #region own-monitor
        var dir = Directory.CreateTempSubdirectory("my-vm-").FullName;   // 0700
        var socket = Path.Combine(dir, "qmp.sock");
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S",
                         "-chardev", $"socket,id=m,path={socket},server=on,wait=off",
                         "-mon", "chardev=m,mode=control,pretty=on"],
            Endpoint = QmpEndpoint.Unix(socket),
        });
        #endregion

        try
        {
            Assert.That(qemu.SocketDirectory, Is.Null, "Qmp.Net created no directory of its own");
            Assert.That(qemu.Endpoint, Is.EqualTo(QmpEndpoint.Unix(socket)));
            var status = await qemu.Client.ExecuteAsync("query-status");
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        }
        finally
        {
            await qemu.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Without_QEMU_the_same_code_runs_on_the_QemuLike_server(CancellationToken ct)
    {
        // A binary that is not installed anywhere takes the path a machine without QEMU takes.
        var options = new QemuStartOptions
        {
            Binary = "qemu-system-not-installed-here",
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
        };
        string? status = null;
        async Task RunAsync(QmpClient client, CancellationToken ct) =>
            status = (await client.ExecuteAsync("query-status", cancellationToken: ct)).GetProperty("status").GetString();

        #region fallback
        try
        {
            await using var qemu = await QemuProcess.StartAsync(options, ct);
            await RunAsync(qemu.Client, ct);
        }
        catch (QemuStartException e) when (e.ExitCode is null && e.Message.Contains("not found", StringComparison.Ordinal))
        {
            await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike, ct);
            await using var client = await QmpClient.ConnectAsync(server.Endpoint, cancellationToken: ct);
            await RunAsync(client, ct);   // the same code; after quit the server closes the connection as QEMU would exit
        }
        #endregion

        Assert.That(status, Is.EqualTo("prelaunch"));
    }
}
