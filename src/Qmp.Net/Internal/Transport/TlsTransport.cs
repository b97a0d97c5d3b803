using System.Net.Security;
using System.Net.Sockets;

namespace Qmp.Net.Internal;

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

    // The stream may hold decrypted bytes already, so no poll first: a blocking read (through the runtime's socket engine).
    public int Receive(Memory<byte> buffer) => _stream.Read(buffer.Span);

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
