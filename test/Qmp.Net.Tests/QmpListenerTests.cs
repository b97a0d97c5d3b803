using System.Net.Sockets;
using System.Text;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>The listener against peers that connect to it on a real socket and speak (or break) QMP.</summary>
public sealed class QmpListenerTests
{
    private const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}""" + "\r\n";

    [Test]
    public async Task A_peer_that_breaks_the_protocol_fails_its_accept_and_the_next_peer_is_accepted()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-listen-").FullName;
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));

        var bad = listener.AcceptAsync();
        using var badPeer = await ConnectAsync(listener);
        await badPeer.SendAsync(Encoding.ASCII.GetBytes("""{"return": {}}""" + "\r\n"));
        Assert.That(async () => await bad.Bounded(), Throws.TypeOf<QmpCommunicationException>());

        var good = listener.AcceptAsync();
        using var goodPeer = await ConnectAsync(listener);
        await goodPeer.SendAsync(Encoding.ASCII.GetBytes(Greeting));
        var capabilities = await ReceiveAsync(goodPeer);
        await goodPeer.SendAsync(Encoding.ASCII.GetBytes("""{"return": {}}""" + "\r\n"));
        await using var client = await good.Bounded();

        Assert.That(capabilities, Does.Contain("qmp_capabilities").And.Contain("oob"));
        Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        Assert.That(client.Greeting!.Version.Major, Is.EqualTo(7));
    }

    [Test]
    public async Task Cancelling_an_accept_throws_with_the_callers_token_and_the_listener_goes_on()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-listen-").FullName;
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        using var cts = new CancellationTokenSource();

        var accept = listener.AcceptAsync(cts.Token);
        await cts.CancelAsync();

        Assert.That(async () => await accept.Bounded(), Throws.InstanceOf<OperationCanceledException>()
            .With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cts.Token));
        var next = listener.AcceptAsync();
        var peer = await ConnectAsync(listener);
        Assert.That(next.IsCompleted, Is.False, "a peer that says nothing is still being waited for");
        peer.Dispose();
        Assert.That(async () => await next.Bounded(), Throws.TypeOf<QmpConnectionException>().With.Message.Contains("before sending its greeting"));
    }

    [Test]
    public async Task Accept_after_dispose_is_a_closed_connection_error()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-listen-").FullName;
        var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        await listener.DisposeAsync();
        await listener.DisposeAsync();

        Assert.That(async () => await listener.AcceptAsync().Bounded(), Throws.TypeOf<QmpConnectionClosedException>());
    }

    [Test]
    public async Task Disposing_the_listener_ends_an_accept_that_is_still_negotiating()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-listen-").FullName;
        var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")), QmpClientOptions.Default with { ConnectTimeout = Timeout.InfiniteTimeSpan, TransactionTimeout = Timeout.InfiniteTimeSpan });

        var accept = listener.AcceptAsync();
        using var peer = await ConnectAsync(listener);
        await peer.SendAsync(Encoding.ASCII.GetBytes(Greeting));
        var capabilities = await ReceiveAsync(peer);
        await listener.DisposeAsync();

        // The peer greeted and never answers qmp_capabilities; with no timeouts only the dispose can end the negotiation.
        Assert.That(capabilities, Does.Contain("qmp_capabilities"), "the accept was negotiating");
        var error = await TestSupport.ErrorOf(accept);
        Assert.That(error, Is.TypeOf<QmpConnectionClosedException>().With.Message.Contains("listener was disposed"));
    }

    [Test]
    public void TLS_and_host_names_cannot_be_listened_on()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => QmpListener.Listen(QmpEndpoint.Tcp("localhost", 4444)), Throws.ArgumentException.With.Message.Contains("literal IP address"));
            Assert.That(() => QmpListener.Listen(QmpEndpoint.Tcp("127.0.0.1", 4444, new System.Net.Security.SslClientAuthenticationOptions())), Throws.ArgumentException.With.Message.Contains("TLS"));
        });
    }

    private static async Task<Socket> ConnectAsync(QmpListener listener)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(((QmpUnixEndpoint)listener.Endpoint).Path)).WaitAsync(TestSupport.Bound);
        return socket;
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[1024];
        var count = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestSupport.Bound);
        return Encoding.ASCII.GetString(buffer, 0, count);
    }
}
