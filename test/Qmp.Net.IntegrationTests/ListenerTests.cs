using System.Diagnostics;

namespace Qmp.Net.IntegrationTests;

/// <summary>Accept mode against real QEMU: QEMU is the client of its monitor socket
/// (<c>-chardev socket,...,reconnect=1 -mon chardev=...,mode=control</c>) and connects to a <see cref="QmpListener"/>.</summary>
[CancelAfter(90_000)]
public sealed class ListenerTests
{
    [Test]
    public async Task QEMU_connects_to_the_listener_and_the_accepted_client_is_negotiated(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        using var qemu = StartConnectingQemu(listener.Endpoint, "vm-accept");

        await using var client = await listener.AcceptAsync(cancellationToken);
        var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        var name = await client.ExecuteAsync("query-name", cancellationToken: cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
            Assert.That(client.NegotiatedCapabilities, Does.Contain("oob"));
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
            Assert.That(name.GetProperty("name").GetString(), Is.EqualTo("vm-accept"));
        });
    }

    [Test]
    public async Task One_listener_serves_many_QEMUs(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        var names = Enumerable.Range(0, 5).Select(i => $"vm{i}").ToList();
        var processes = names.Select(n => StartConnectingQemu(listener.Endpoint, n)).ToList();
        var clients = new List<QmpClient>();
        try
        {
            for (var i = 0; i < names.Count; i++)
            {
                clients.Add(await listener.AcceptAsync(cancellationToken));
            }

            var seen = new List<string>();
            foreach (var client in clients)
            {
                seen.Add((await client.ExecuteAsync("query-name", cancellationToken: cancellationToken)).GetProperty("name").GetString()!);
            }

            Assert.That(seen, Is.EquivalentTo(names));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    [Test]
    public async Task With_reconnect_QEMU_connects_again_after_its_connection_was_closed(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        using var qemu = StartConnectingQemu(listener.Endpoint, "vm-again");

        var first = await listener.AcceptAsync(cancellationToken);
        await first.ExecuteAsync("cont", cancellationToken: cancellationToken);
        await first.DisposeAsync();
        var watch = Stopwatch.StartNew();
        await using var second = await listener.AcceptAsync(cancellationToken);

        // A new connection: a new client with its own greeting; the machine's state carried over inside QEMU.
        var status = await second.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(second.Greeting, Is.Not.Null);
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(second.Events.Count, Is.Zero, "the RESUME of the first connection is not replayed to the second");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

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
