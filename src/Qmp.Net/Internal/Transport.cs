using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Qmp.Net.Internal;

/// <summary>The byte stream a client speaks QMP over. The seam where TLS, a listening mode or file-descriptor passing
/// plug in: each is a transport, the protocol above does not change.</summary>
internal interface IQmpTransport : IDisposable
{
    /// <summary>Gets the socket underneath, when there is one (for SCM_RIGHTS and diagnostics).</summary>
    Socket? Socket { get; }

    /// <summary>Receives at most <paramref name="buffer"/>'s length; 0 means the peer closed the connection.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Closes the connection; pending receives and sends end with an error.</summary>
    void Abort();
}

internal sealed class SocketTransport : IQmpTransport
{
    private readonly Socket _socket;
    private int _closed;

    private SocketTransport(Socket socket) => _socket = socket;

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

/// <summary>QMP over TLS (QEMU's <c>tls-creds-x509</c> chardev option): an <see cref="SslStream"/> over the TCP socket.</summary>
internal sealed class TlsTransport : IQmpTransport
{
    private static readonly ReadOnlyMemory<byte> s_space = new[] { (byte)' ' };

    private readonly Socket _socket;
    private readonly SslStream _stream;
    private int _closed;

    private TlsTransport(Socket socket, SslStream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    public Socket? Socket => _socket;

    public static async ValueTask<IQmpTransport> AuthenticateAsync(Socket socket, QmpTcpEndpoint endpoint, CancellationToken cancellationToken)
    {
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var options = endpoint.Tls!;
        if (string.IsNullOrEmpty(options.TargetHost))
        {
            options = CloneWithHost(options, endpoint.Host);
        }

        try
        {
            await stream.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return new TlsTransport(socket, stream);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or SocketException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw ExceptionFactory.TlsFailed(endpoint, e);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _stream.ReadAsync(buffer, cancellationToken);

    /// <summary>Writes the data as one TLS record, then a record holding a single space.</summary>
    /// <remarks>QEMU (measured on 7.2) consumes a TLS record's bytes only up to where its monitor stops reading and leaves the
    /// rest in the TLS layer until another record arrives, so a command alone in its record is never answered. The second
    /// record, whitespace that QMP ignores between messages, makes QEMU read the whole command.</remarks>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(s_space, cancellationToken).ConfigureAwait(false);
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            // Closing the socket ends pending reads and writes at once; the stream is disposed with it.
            _socket.Dispose();
            _stream.Dispose();
        }
    }

    public void Dispose() => Abort();

    private static SslClientAuthenticationOptions CloneWithHost(SslClientAuthenticationOptions o, string host) => new()
    {
        AllowRenegotiation = o.AllowRenegotiation,
        ApplicationProtocols = o.ApplicationProtocols,
        CertificateChainPolicy = o.CertificateChainPolicy,
        CertificateRevocationCheckMode = o.CertificateRevocationCheckMode,
        CipherSuitesPolicy = o.CipherSuitesPolicy,
        ClientCertificateContext = o.ClientCertificateContext,
        ClientCertificates = o.ClientCertificates,
        EnabledSslProtocols = o.EnabledSslProtocols,
        EncryptionPolicy = o.EncryptionPolicy,
        LocalCertificateSelectionCallback = o.LocalCertificateSelectionCallback,
        RemoteCertificateValidationCallback = o.RemoteCertificateValidationCallback,
        TargetHost = host,
    };
}
