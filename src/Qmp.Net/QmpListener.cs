using System.Net;
using System.Net.Sockets;
using Qmp.Net.Internal;

namespace Qmp.Net;

/// <summary>Listens for QMP servers that connect to us: QEMU as the client of its monitor socket
/// (<c>-chardev socket,id=m0,path=P,reconnect=1 -mon chardev=m0,mode=control</c>; <c>reconnect-ms=1000</c> from QEMU 9.2
/// on), and hands out one connected, negotiated <see cref="QmpClient"/> per connection.</summary>
/// <remarks>
/// <para>Listening removes the start-up race of connecting to a freshly started QEMU (its socket may not exist yet, and
/// QEMU 7.2 sometimes greets twice or closes after the greeting when a client connects early), and lets one listener
/// serve many QEMUs. Each accepted client has the same options and guarantees as one from
/// <see cref="QmpClient.ConnectAsync(QmpEndpoint, QmpClientOptions?, CancellationToken)"/> (its
/// <see cref="QmpClientOptions.ConnectRetry"/> is not used: the connection already exists).</para>
/// <para>With <c>reconnect</c>, a QEMU whose monitor connection was closed connects again about once per reconnect
/// interval: the next <see cref="AcceptAsync(CancellationToken)"/> returns a new client for it. Events that QEMU emitted
/// between the two connections are lost; QEMU does not replay them.</para>
/// <para>Disposing the listener stops listening and removes its socket file; clients already accepted are not affected.</para>
/// </remarks>
public sealed class QmpListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly QmpClientOptions? _options;
    private readonly string? _socketPath;
    private readonly CancellationTokenSource _disposed = new();
    private int _disposeState;

    private QmpListener(Socket socket, QmpEndpoint endpoint, QmpClientOptions? options, string? socketPath)
    {
        _socket = socket;
        Endpoint = endpoint;
        _options = options;
        _socketPath = socketPath;
    }

    /// <summary>Gets where the listener listens; for TCP with port 0, the port the system chose.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Starts listening on a Unix socket path or a TCP address.</summary>
    /// <param name="endpoint">A Unix endpoint whose path does not exist yet (create it in a directory only you can write,
    /// as <see cref="Qemu.QemuProcess"/> does: whoever can connect can run commands), or a TCP endpoint with a literal
    /// address (see <see cref="ListenTcp(IPAddress, int, QmpClientOptions?, int)"/> for a port the system chooses). TLS endpoints are not supported.</param>
    /// <param name="options">The options of every accepted client; <see langword="null"/> means <see cref="QmpClientOptions.Default"/>.</param>
    /// <param name="backlog">How many connections may wait to be accepted.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is null.</exception>
    /// <exception cref="ArgumentException">The endpoint is a TLS endpoint, or a TCP endpoint whose host is not an IP address.</exception>
    /// <exception cref="IOException">The Unix socket path already exists.</exception>
    /// <exception cref="SocketException">The address could not be bound.</exception>
    public static QmpListener Listen(QmpEndpoint endpoint, QmpClientOptions? options = null, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        switch (endpoint)
        {
            case QmpUnixEndpoint unix:
            {
                if (File.Exists(unix.Path) || Directory.Exists(unix.Path))
                {
                    throw new IOException($"Cannot listen on {unix.Path}: the path already exists.");
                }

                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Bind(new UnixDomainSocketEndPoint(unix.Path));
                    socket.Listen(backlog);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                return new QmpListener(socket, endpoint, options, unix.Path);
            }

            case QmpTcpEndpoint { Tls: not null }:
                throw new ArgumentException("A QmpListener does not support TLS endpoints.", nameof(endpoint));

            case QmpTcpEndpoint tcp:
                return IPAddress.TryParse(tcp.Host, out var address)
                    ? ListenTcp(address, tcp.Port, options, backlog)
                    : throw new ArgumentException($"A QmpListener needs a literal IP address to bind, not '{tcp.Host}'.", nameof(endpoint));

            default:
                throw new ArgumentException($"Unsupported endpoint type {endpoint.GetType().Name}.", nameof(endpoint));
        }
    }

    /// <summary>Starts listening on a TCP address; port 0 lets the system choose a free port (see <see cref="Endpoint"/>).</summary>
    /// <param name="address">The address to bind, e.g. <see cref="IPAddress.Loopback"/>.</param>
    /// <param name="port">The port, or 0 for one the system chooses.</param>
    /// <param name="options">The options of every accepted client; <see langword="null"/> means <see cref="QmpClientOptions.Default"/>.</param>
    /// <param name="backlog">How many connections may wait to be accepted.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> or <paramref name="backlog"/> is out of range.</exception>
    /// <exception cref="SocketException">The address could not be bound.</exception>
    public static QmpListener ListenTcp(IPAddress address, int port = 0, QmpClientOptions? options = null, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var bound = (IPEndPoint)socket.LocalEndPoint!;
        return new QmpListener(socket, QmpEndpoint.Tcp(address.ToString(), bound.Port), options, null);
    }

    /// <summary>Waits for the next QMP server to connect, reads its greeting and negotiates capabilities.</summary>
    /// <param name="cancellationToken">Cancels the wait (and the negotiation of a connection already accepted, which is
    /// then closed).</param>
    /// <returns>A connected, negotiated client; dispose it to close the connection.</returns>
    /// <exception cref="QmpConnectionClosedException">The listener was disposed.</exception>
    /// <exception cref="QmpConnectionException">Accepting failed at the socket (e.g. the process is out of descriptors).</exception>
    /// <exception cref="QmpException">The peer that connected broke the protocol or refused <c>qmp_capabilities</c>
    /// (as for <see cref="QmpClient.ConnectAsync(CancellationToken)"/>); the listener goes on, call again for the next one.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<QmpClient> AcceptAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        Socket accepted;
        try
        {
            accepted = await _socket.AcceptAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && _disposed.IsCancellationRequested)
        {
            throw new QmpConnectionClosedException("The QMP listener was disposed.", e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Waiting for a QMP server to connect was cancelled.", e, cancellationToken);
        }
        catch (SocketException e)
        {
            // Not the listener's end (e.g. out of file descriptors): this accept fails, the listener goes on.
            throw new QmpConnectionException(e.SocketErrorCode, $"Accepting a connection on {Endpoint} failed: {e.Message}", e);
        }

        if (accepted.AddressFamily != AddressFamily.Unix)
        {
            accepted.NoDelay = true;
        }

        var transport = SocketTransport.FromConnected(accepted);
        var client = new QmpClient(Endpoint, (_options ?? QmpClientOptions.Default) with { ConnectRetry = null }, (_, _) => ValueTask.FromResult<IQmpTransport>(transport));
        try
        {
            // Disposing the listener ends the negotiation too, not only the wait at the socket (docs: pending accepts end
            // with QmpConnectionClosedException).
            using (_disposed.Token.UnsafeRegister(static c => ((QmpClient)c!).Abort(), client))
            {
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch (Exception e) when (_disposed.IsCancellationRequested && e is QmpConnectionClosedException or InvalidOperationException)
        {
            // Closed by the dispose (or, disposed before the registration, aborted before connecting started).
            await client.DisposeAsync().ConfigureAwait(false);
            throw new QmpConnectionClosedException("The QMP listener was disposed.", e);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops listening and removes the socket file; a pending <see cref="AcceptAsync(CancellationToken)"/> fails
    /// with <see cref="QmpConnectionClosedException"/>. Clients already accepted stay connected. Idempotent.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) == 0)
        {
            _disposed.Cancel();
            _socket.Dispose();
            if (_socketPath is not null)
            {
                try
                {
                    File.Delete(_socketPath);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Someone removed or replaced it already; nothing of ours is left.
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"QmpListener({Endpoint})";
}
