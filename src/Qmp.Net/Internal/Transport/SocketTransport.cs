using System.Net;
using System.Net.Sockets;

namespace Qmp.Net.Internal;

/// <summary>QMP over a Unix domain or TCP socket.</summary>
internal sealed class SocketTransport : IQmpTransport, IQmpDescriptorTransport
{
    private readonly Socket _socket;
    private int _closed;

    private SocketTransport(Socket socket) => _socket = socket;

    /// <summary>Wraps a socket that is already connected, e.g. one a <see cref="QmpListener"/> accepted.</summary>
    public static SocketTransport FromConnected(Socket socket) => new(socket);

    public Socket? Socket => _socket;

    public static async ValueTask<IQmpTransport> ConnectAsync(QmpEndpoint endpoint, CancellationToken cancellationToken)
    {
        switch (endpoint)
        {
            case QmpUnixEndpoint unix:
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(unix.Path), cancellationToken).ConfigureAwait(false);
                    return new SocketTransport(socket);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw ExceptionFactory.ConnectFailed(endpoint, e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            case QmpTcpEndpoint tcp:
            {
                IPAddress[] addresses;
                try
                {
                    addresses = IPAddress.TryParse(tcp.Host, out var literal)
                        ? [literal]
                        : await Dns.GetHostAddressesAsync(tcp.Host, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    throw ExceptionFactory.ConnectFailed(endpoint, e);
                }

                SocketException? last = null;
                foreach (var address in addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(new IPEndPoint(address, tcp.Port), cancellationToken).ConfigureAwait(false);
                    }
                    catch (SocketException e)
                    {
                        socket.Dispose();
                        last = e;
                        continue;
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }

                    return tcp.Tls is null
                        ? new SocketTransport(socket)
                        : await TlsTransport.AuthenticateAsync(socket, tcp, cancellationToken).ConfigureAwait(false);
                }

                throw ExceptionFactory.ConnectFailed(endpoint, last ?? new SocketException((int)SocketError.HostNotFound));
            }

            default:
                throw new ArgumentException($"Unsupported endpoint type {endpoint.GetType().Name}.", nameof(endpoint));
        }
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public int Receive(Memory<byte> buffer)
    {
        // The socket is non-blocking once it has been used asynchronously (the connect), and a synchronous Receive on it
        // would wait through the runtime's socket engine: one more thread woken per read. poll(2) waits on this thread, and
        // the Receive after it finds the bytes there. Disposing the socket shuts it down, which ends the poll.
        _socket.Poll(-1, SelectMode.SelectRead);
        return _socket.Receive(buffer.Span, SocketFlags.None);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var pending = _socket.SendAsync(data, SocketFlags.None, cancellationToken);
        if (!pending.IsCompletedSuccessfully)
        {
            return SendSlowAsync(pending, data, cancellationToken);
        }

        // A ValueTask is consumed once: its result has been read, so the rest (if any) goes on from the count.
        var sent = pending.Result;
        return sent == data.Length ? default : SendRestAsync(data[sent..], cancellationToken);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, ReadOnlyMemory<int> descriptors, CancellationToken cancellationToken)
    {
        if (_socket.AddressFamily != AddressFamily.Unix || !UnixFdPassing.IsSupported)
        {
            throw new NotSupportedException("File descriptors can be passed only over a Unix domain socket on Linux.");
        }

        int sent;
        while ((sent = UnixFdPassing.Send(_socket, data.Span, descriptors.Span)) == 0)
        {
            // The send buffer is full (the server is not reading): wait until it can take bytes again.
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => _socket.Poll(100_000, SelectMode.SelectWrite), cancellationToken).ConfigureAwait(false);
        }

        if (sent < data.Length)
        {
            await SendAsync(data[sent..], cancellationToken).ConfigureAwait(false);
        }
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    public void Dispose() => Abort();

    private async ValueTask SendSlowAsync(ValueTask<int> pending, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var sent = await pending.ConfigureAwait(false);
        if (sent < data.Length)
        {
            await SendRestAsync(data[sent..], cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < rest.Length)
        {
            sent += await _socket.SendAsync(rest[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }
}
