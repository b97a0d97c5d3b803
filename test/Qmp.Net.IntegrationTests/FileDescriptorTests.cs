using System.Net.Sockets;
using System.Text.Json;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>Passing file descriptors to a real QEMU 7.2 (<c>SCM_RIGHTS</c> with <c>add-fd</c> and <c>getfd</c>), and proving
/// that QEMU uses them.</summary>
[CancelAfter(120_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileDescriptorTests
{
    [Test]
    public async Task A_qcow2_image_opened_by_the_test_is_read_by_QEMU_through_an_fdset(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var directory = QemuFixture.CreatePrivateDirectory();
        var image = Path.Combine(directory, "disk.qcow2");
        await QemuFixture.RunAsync("qemu-img", "create", "-f", "qcow2", image, "48M");

        JsonElement added;
        using (var file = File.OpenHandle(image, FileMode.Open, FileAccess.ReadWrite))
        {
            added = await qemu.Client.ExecuteAsync("add-fd", new Dictionary<string, object> { ["fdset-id"] = 1 }, [file], cancellationToken);
        }

        // The test's handle is closed: only QEMU's duplicate is left, and QEMU must read the qcow2 header through it.
        await qemu.Client.ExecuteAsync("blockdev-add", JsonDocument.Parse("""
            {"driver":"qcow2","node-name":"q0","file":{"driver":"file","filename":"/dev/fdset/1"}}
            """).RootElement, cancellationToken);
        var nodes = await qemu.Client.ExecuteAsync("query-named-block-nodes", cancellationToken: cancellationToken);

        var q0 = nodes.EnumerateArray().Single(n => n.GetProperty("node-name").GetString() == "q0");
        Assert.That(added.GetProperty("fdset-id").GetInt32(), Is.EqualTo(1));
        Assert.That(q0.GetProperty("image").GetProperty("virtual-size").GetInt64(), Is.EqualTo(48L * 1024 * 1024));
        Assert.That(q0.GetProperty("file").GetString(), Is.EqualTo("/dev/fdset/1"));
        Directory.Delete(directory, recursive: true);
    }

    [Test]
    public async Task A_socket_passed_with_getfd_becomes_a_chardev_and_QEMU_closes_it_when_the_chardev_goes(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var (ours, theirs) = await SocketPairAsync();
        using var _ = ours;

        await qemu.Client.ExecuteAsync("getfd", new Dictionary<string, object> { ["fdname"] = "sock0" }, [theirs.SafeHandle], cancellationToken);

        // Close our copy of the passed end with close(2) alone: Socket.Dispose shuts a socket down, which would end the
        // connection for every duplicate, QEMU's included (docs/protocol.md says so for users).
        var fd = (int)theirs.SafeHandle.DangerousGetHandle();
        theirs.SafeHandle.SetHandleAsInvalid();
        Assert.That(close(fd), Is.Zero);
        await qemu.Client.ExecuteAsync("chardev-add", JsonDocument.Parse("""
            {"id":"c0","backend":{"type":"socket","data":{"addr":{"type":"fd","data":{"str":"sock0"}},"server":false}}}
            """).RootElement, cancellationToken);

        // QEMU holds the only other end now: our side sees end-of-stream exactly when QEMU lets it go.
        var receive = ours.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken).AsTask();
        var first = await Task.WhenAny(receive, Task.Delay(300, cancellationToken));
        Assert.That(first, Is.Not.SameAs(receive), "QEMU keeps the socket open; receive ended with " + (receive.IsCompleted ? (receive.IsFaulted ? receive.Exception!.InnerException!.Message : receive.Result.ToString(System.Globalization.CultureInfo.InvariantCulture)) : "-"));
        await qemu.Client.ExecuteAsync("chardev-remove", new Dictionary<string, object> { ["id"] = "c0" }, cancellationToken);

        Assert.That(await receive.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken), Is.Zero);
    }

    [Test]
    public async Task Thousand_rounds_of_add_fd_and_remove_fd_leak_no_descriptor_in_this_process(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var before = OpenDescriptors();

        for (var i = 0; i < 1000; i++)
        {
            using var file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
            var added = await qemu.Client.ExecuteAsync("add-fd", new Dictionary<string, object> { ["fdset-id"] = 7 }, [file], cancellationToken);
            await qemu.Client.ExecuteAsync("remove-fd", new Dictionary<string, object> { ["fdset-id"] = 7, ["fd"] = added.GetProperty("fd").GetInt32() }, cancellationToken);
        }

        // (QEMU 7.2 keeps removed descriptors of an fdset open while a monitor is connected; that is QEMU's side.)
        Assert.That(OpenDescriptors(), Is.EqualTo(before).Within(2), "descriptors of this process before and after");
    }

    [Test]
    public async Task Descriptors_go_only_with_their_own_command_when_commands_are_pipelined(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        using var file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);

        // 20 plain commands around one getfd, all at once: the descriptor must arrive with getfd (else getfd fails with
        // "No file descriptor supplied via SCM_RIGHTS"), and the plain ones must not carry it.
        var plain = Enumerable.Range(0, 10).Select(_ => qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).ToList();
        var getfd = qemu.Client.ExecuteAsync("getfd", new Dictionary<string, object> { ["fdname"] = "n1" }, [file], cancellationToken);
        plain.AddRange(Enumerable.Range(0, 10).Select(_ => qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken)));

        await getfd;
        await Task.WhenAll(plain);
        await qemu.Client.ExecuteAsync("closefd", new Dictionary<string, object> { ["fdname"] = "n1" }, cancellationToken);
        Assert.That(async () => await qemu.Client.ExecuteAsync("closefd", new Dictionary<string, object> { ["fdname"] = "n1" }, cancellationToken),
            Throws.TypeOf<QmpErrorException>(), "n1 existed once, and only once");
    }

    [Test]
    public async Task A_descriptor_on_a_closed_connection_fails_the_command_and_stays_the_callers(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        using var file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        qemu.Client.Abort();

        Assert.That(async () => await qemu.Client.ExecuteAsync("getfd", new Dictionary<string, object> { ["fdname"] = "x" }, [file], cancellationToken),
            Throws.TypeOf<QmpConnectionClosedException>());
        Assert.That(file.IsClosed, Is.False);
        Assert.That(RandomAccess.GetLength(file), Is.Zero, "the handle still works");
    }

    [Test]
    public async Task Descriptors_over_TCP_are_refused_before_anything_is_sent(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var port = QemuFixture.FreeTcpPort();
        await using var qemu = await QemuFixture.StartAsync(null, QmpEndpoint.Tcp("127.0.0.1", port), "-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off");
        using var file = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);

        Assert.That(() => qemu.Client.ExecuteAsync("getfd", new Dictionary<string, object> { ["fdname"] = "x" }, [file], cancellationToken),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("Unix domain socket"));
        Assert.That((await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

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
