using System.Diagnostics;

namespace Qmp.Net.IntegrationTests;

/// <summary>Accept mode against real QEMU: QEMU is the client of its monitor socket
/// (<c>-chardev socket,...,reconnect=1 -mon chardev=...,mode=control</c>) and connects to a <see cref="QmpListener"/>.
/// Accepting, reconnecting and one listener for several QEMUs run against every QEMU found, in
/// <see cref="QemuGenerationTests"/>; this class holds what does not depend on the QEMU's version.</summary>
[CancelAfter(90_000)]
public sealed class ListenerTests
{
    [Test]
    public async Task Disposing_the_listener_removes_its_socket_file_ends_pending_accepts_and_keeps_accepted_clients(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        var path = Path.Combine(directory, "qmp.sock");
        var listener = QmpListener.Listen(QmpEndpoint.Unix(path));
        using var qemu = StartConnectingQemu(listener.Endpoint, "vm-keep");
        await using var client = await listener.AcceptAsync(cancellationToken);
        var pending = listener.AcceptAsync(cancellationToken);

        await listener.DisposeAsync();

        Assert.That(File.Exists(path), Is.False);
        Assert.That(async () => await pending, Throws.TypeOf<QmpConnectionClosedException>());
        Assert.That((await client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [Test]
    public async Task QEMU_connects_to_a_TCP_listener_on_a_port_the_system_chose(CancellationToken cancellationToken)
    {
        await using var listener = QmpListener.ListenTcp(System.Net.IPAddress.Loopback);
        var tcp = (QmpTcpEndpoint)listener.Endpoint;
        using var qemu = StartQemu(["-chardev", $"socket,id=m0,host=127.0.0.1,port={tcp.Port},reconnect=1", "-mon", "chardev=m0,mode=control"]);

        await using var client = await listener.AcceptAsync(cancellationToken);

        Assert.That(tcp.Port, Is.Positive);
        Assert.That((await client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [Test]
    public void Listening_on_a_path_that_exists_is_refused()
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        var path = Path.Combine(directory, "taken");
        File.WriteAllText(path, string.Empty);

        Assert.That(() => QmpListener.Listen(QmpEndpoint.Unix(path)), Throws.TypeOf<IOException>().With.Message.Contains(path));
    }

    private static QemuChild StartConnectingQemu(QmpEndpoint endpoint, string name) =>
        StartQemu(["-name", name, "-chardev", $"socket,id=m0,path={((QmpUnixEndpoint)endpoint).Path},reconnect=1", "-mon", "chardev=m0,mode=control"]);

    private static QemuChild StartQemu(string[] extra)
    {
        var info = new ProcessStartInfo(QemuFixture.Require()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in QemuFixture.MonitorOnly.Concat(extra))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new QemuChild(process);
    }

    /// <summary>A QEMU started by a test; disposing kills it and waits for it.</summary>
    private sealed class QemuChild(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
            process.Dispose();
        }
    }
}
