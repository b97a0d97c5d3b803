using System.Net.Sockets;
using System.Text.Json;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>Passing file descriptors to a real QEMU 7.2 (<c>SCM_RIGHTS</c> with <c>add-fd</c> and <c>getfd</c>), and proving
/// that QEMU uses them. The add-fd and getfd proofs run against every QEMU found, in <see cref="QemuGenerationTests"/>.</summary>
[CancelAfter(120_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileDescriptorTests
{
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

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}
