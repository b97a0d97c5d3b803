using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

/// <summary>sendmsg with SCM_RIGHTS over a real Unix socket pair, received with recvmsg on the other end.</summary>
public sealed class UnixFdPassingTests
{
    [Test]
    public async Task A_descriptor_arrives_with_the_first_byte_and_the_rest_of_the_message_follows()
    {
        var (sender, receiver) = await PairAsync();
        using var _ = sender;
        using var __ = receiver;
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "contents seen through the passed descriptor");
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var transport = SocketTransport.FromConnected(sender);
        var message = Encoding.ASCII.GetBytes("""{"execute":"add-fd","arguments":{"fdset-id":1}}""");

        await transport.SendAsync(message, new[] { (int)file.DangerousGetHandle() }, CancellationToken.None);
        var (bytes, descriptors) = DescriptorReceiver.Receive(receiver, message.Length);

        Assert.That(descriptors, Has.Length.EqualTo(1));
        using var received = new SafeFileHandle(descriptors[0], ownsHandle: true);
        using var stream = new FileStream(received, FileAccess.Read);
        Assert.That(new StreamReader(stream).ReadToEnd(), Is.EqualTo("contents seen through the passed descriptor"));
        Assert.That(Encoding.ASCII.GetString(bytes), Is.EqualTo(Encoding.ASCII.GetString(message)));
        File.Delete(path);
    }

    [Test]
    public async Task Several_descriptors_go_with_one_message()
    {
        var (sender, receiver) = await PairAsync();
        using var _ = sender;
        using var __ = receiver;
        using var a = File.OpenHandle("/dev/null");
        using var b = File.OpenHandle("/dev/zero");
        var transport = SocketTransport.FromConnected(sender);

        await transport.SendAsync("{}"u8.ToArray(), new[] { (int)a.DangerousGetHandle(), (int)b.DangerousGetHandle() }, CancellationToken.None);
        var (_, descriptors) = DescriptorReceiver.Receive(receiver, 2);

        Assert.That(descriptors, Has.Length.EqualTo(2));
        foreach (var fd in descriptors)
        {
            DescriptorReceiver.Close(fd);
        }
    }

    [Test]
    public async Task A_closed_descriptor_is_a_socket_error_and_nothing_is_sent()
    {
        var (sender, receiver) = await PairAsync();
        using var _ = sender;
        using var __ = receiver;
        var transport = SocketTransport.FromConnected(sender);

        Assert.That(async () => await transport.SendAsync("{}"u8.ToArray(), new[] { int.MaxValue - 1 }, CancellationToken.None), Throws.TypeOf<SocketException>());
        Assert.That(receiver.Available, Is.Zero);
    }

    [Test]
    public void Descriptors_over_TCP_are_not_supported()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Connect(listener.LocalEndPoint!);
        var transport = SocketTransport.FromConnected(tcp);

        Assert.That(async () => await transport.SendAsync("{}"u8.ToArray(), new[] { 0 }, CancellationToken.None), Throws.TypeOf<NotSupportedException>());
    }

    internal static async Task<(Socket Sender, Socket Receiver)> PairAsync()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fdpass-").FullName, "s");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var sender = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync();
        await sender.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return (sender, await accept);
    }
}
