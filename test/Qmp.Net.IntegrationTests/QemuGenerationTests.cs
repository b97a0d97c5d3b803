using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>The listener (QEMU as the client of its monitor socket), <see cref="QemuProcess"/>'s accept mode and
/// descriptor passing, against every QEMU generation found: Debian's 7.2 and QEMU 10.0.2. The fixture's name says which
/// (<c>QemuGenerationTests(QEMU 10.0)</c>), and each test prints the binary.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(90_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class QemuGenerationTests(QemuGeneration qemu)
{
    [Test]
    public void The_reconnect_option_is_chosen_by_the_QEMU_version()
    {
        Assert.Multiple(() =>
        {
            Assert.That(QemuGeneration.ReconnectOption(new Version(7, 2, 22)), Is.EqualTo("reconnect=1"));
            Assert.That(QemuGeneration.ReconnectOption(new Version(9, 1, 0)), Is.EqualTo("reconnect=1"));
            Assert.That(QemuGeneration.ReconnectOption(new Version(9, 2, 0)), Is.EqualTo("reconnect-ms=1000"));
            Assert.That(QemuGeneration.ReconnectOption(new Version(10, 0, 2)), Is.EqualTo("reconnect-ms=1000"));
        });
    }

    [Test]
    public async Task QEMU_connects_to_the_listener_and_greets_with_its_own_version(CancellationToken cancellationToken)
    {
        var version = await qemu.VersionAsync();
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        using var process = await StartConnectingAsync(listener.Endpoint, "vm-gen");

        await using var client = await listener.AcceptAsync(cancellationToken);
        var name = await client.ExecuteAsync("query-name", cancellationToken: cancellationToken);
        var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        TestContext.Out.WriteLine($"QEMU {qemu.Label} greeted with {client.Greeting!.Version}");
        Assert.Multiple(() =>
        {
            Assert.That(client.Greeting!.Version.AsVersion, Is.EqualTo(version));
            Assert.That(client.State, Is.EqualTo(QmpState.Idle), "accepted negotiated");
            Assert.That(name.GetProperty("name").GetString(), Is.EqualTo("vm-gen"));
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
            Assert.That(client.NegotiatedCapabilities, Does.Contain("oob"));
        });
    }

    [Test]
    public async Task With_the_versions_reconnect_option_QEMU_connects_again_after_its_connection_was_closed(CancellationToken cancellationToken)
    {
        var version = await qemu.VersionAsync();
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        using var process = await StartConnectingAsync(listener.Endpoint, "vm-again");

        var first = await listener.AcceptAsync(cancellationToken);
        await first.ExecuteAsync("cont", cancellationToken: cancellationToken);
        await first.DisposeAsync();
        var watch = Stopwatch.StartNew();
        await using var second = await listener.AcceptAsync(cancellationToken);
        var status = await second.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        TestContext.Out.WriteLine($"QEMU {qemu.Label} ({version}, {QemuGeneration.ReconnectOption(version)}) connected again after {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(second.Greeting, Is.Not.Null, "a new connection greets again");
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"), "the machine's state carried over inside QEMU");
        Assert.That(second.Events.Count, Is.Zero, "the RESUME of the first connection is not replayed to the second");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public async Task One_listener_serves_three_QEMUs(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        string[] names = ["vm0", "vm1", "vm2"];
        var processes = new List<Child>();
        var clients = new List<QmpClient>();
        try
        {
            foreach (var name in names)
            {
                processes.Add(await StartConnectingAsync(listener.Endpoint, name));
            }

            foreach (var _ in names)
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
    public async Task QemuProcess_in_accept_mode_starts_this_QEMU_and_reports_its_version(CancellationToken cancellationToken)
    {
        var version = await qemu.VersionAsync();
        await using var process = await QemuProcess.StartAsync(
            new QemuStartOptions { Binary = qemu.Require(), Arguments = [.. qemu.BaseArguments], MonitorMode = QemuMonitorMode.Accept },
            cancellationToken);
        QemuFixture.Track(process);

        var status = await process.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        Assert.That(process.Version.AsVersion, Is.EqualTo(version));
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [Test]
    public async Task A_qcow2_image_passed_with_add_fd_is_read_by_QEMU_through_its_fdset(CancellationToken cancellationToken)
    {
        await using var process = await StartAsync(cancellationToken);
        var directory = QemuFixture.CreatePrivateDirectory();
        var image = Path.Combine(directory, "disk.qcow2");
        await QemuFixture.RunAsync("qemu-img", "create", "-f", "qcow2", image, "32M");

        JsonElement added;
        using (var file = File.OpenHandle(image, FileMode.Open, FileAccess.ReadWrite))
        {
            added = await process.Client.ExecuteAsync("add-fd", new Dictionary<string, object> { ["fdset-id"] = 3 }, [file], cancellationToken);
        }

        // The test's handle is closed: QEMU's duplicate is the only one left, and QEMU must read the qcow2 header through it.
        await process.Client.ExecuteAsync("blockdev-add", JsonDocument.Parse("""
            {"driver":"qcow2","node-name":"q0","file":{"driver":"file","filename":"/dev/fdset/3"}}
            """).RootElement, cancellationToken);
        var nodes = await process.Client.ExecuteAsync("query-named-block-nodes", cancellationToken: cancellationToken);

        var q0 = nodes.EnumerateArray().Single(n => n.GetProperty("node-name").GetString() == "q0");
        Assert.That(added.GetProperty("fdset-id").GetInt32(), Is.EqualTo(3));
        Assert.That(q0.GetProperty("image").GetProperty("virtual-size").GetInt64(), Is.EqualTo(32L * 1024 * 1024));
        Assert.That(q0.GetProperty("file").GetString(), Is.EqualTo("/dev/fdset/3"));
        Directory.Delete(directory, recursive: true);
    }

    [Test]
    public async Task A_socket_passed_with_getfd_becomes_a_chardev_and_QEMU_closes_it_with_the_chardev(CancellationToken cancellationToken)
    {
        await using var process = await StartAsync(cancellationToken);
        var (ours, theirs) = await SocketPairAsync();
        using var _ = ours;

        await process.Client.ExecuteAsync("getfd", new Dictionary<string, object> { ["fdname"] = "sock0" }, [theirs.SafeHandle], cancellationToken);
        var fd = (int)theirs.SafeHandle.DangerousGetHandle();
        theirs.SafeHandle.SetHandleAsInvalid();
        Assert.That(close(fd), Is.Zero);
        await process.Client.ExecuteAsync("chardev-add", JsonDocument.Parse("""
            {"id":"c0","backend":{"type":"socket","data":{"addr":{"type":"fd","data":{"str":"sock0"}},"server":false}}}
            """).RootElement, cancellationToken);

        var chardevs = await process.Client.ExecuteAsync("query-chardev", cancellationToken: cancellationToken);

        // QEMU holds the only other end now (the chardev keeps it open), until the chardev goes: then our side reads
        // end-of-stream.
        var receive = ours.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken).AsTask();
        var first = await Task.WhenAny(receive, Task.Delay(300, cancellationToken));
        Assert.That(first, Is.Not.SameAs(receive), "QEMU keeps the socket open while the chardev exists");
        await process.Client.ExecuteAsync("chardev-remove", new Dictionary<string, object> { ["id"] = "c0" }, cancellationToken);
        Assert.That(chardevs.EnumerateArray().Select(c => c.GetProperty("label").GetString()), Does.Contain("c0"));
        Assert.That(await receive.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken), Is.Zero);
    }

    private async Task<QemuProcess> StartAsync(CancellationToken cancellationToken)
    {
        var process = await QemuProcess.StartAsync(new QemuStartOptions { Binary = qemu.Require(), Arguments = [.. qemu.BaseArguments] }, cancellationToken);
        QemuFixture.Track(process);
        return process;
    }

    private async Task<Child> StartConnectingAsync(QmpEndpoint endpoint, string name)
    {
        var reconnect = QemuGeneration.ReconnectOption(await qemu.VersionAsync());
        return new Child(qemu.Start("-name", name, "-chardev", $"socket,id=m0,path={((QmpUnixEndpoint)endpoint).Path},{reconnect}", "-mon", "chardev=m0,mode=control"));
    }

    /// <summary>A QEMU started by a test; disposing kills it and waits for it.</summary>
    private sealed class Child(Process process) : IDisposable
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

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    private static async Task<(Socket Ours, Socket Theirs)> SocketPairAsync()
    {
        var path = Path.Combine(QemuFixture.CreatePrivateDirectory(), "pair.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var theirs = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync();
        theirs.Connect(new UnixDomainSocketEndPoint(path));
        return (await accept, theirs);
    }
}
