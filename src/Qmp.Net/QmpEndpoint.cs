using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Qmp.Net;

/// <summary>Where a QMP server listens: a TCP host and port, or a Unix domain socket path.</summary>
/// <remarks>
/// Endpoints are immutable values. A TCP host name is resolved each time a connection is made, not when the
/// endpoint is created. <c>QmpEndpoint.Tcp("localhost", 4444)</c> is the equivalent of QI-QMP's default address.
/// </remarks>
public abstract record QmpEndpoint
{
    private protected QmpEndpoint()
    {
    }

    /// <summary>Creates an endpoint for a QMP server listening on TCP.</summary>
    /// <param name="host">A host name, an IPv4 literal or an IPv6 literal (with or without square brackets).</param>
    /// <param name="port">The TCP port, from 1 to 65535.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 1 to 65535.</exception>
    public static QmpEndpoint Tcp(string host, int port) => Tcp(host, port, null);

    /// <summary>Creates an endpoint for a QMP server listening on TCP, optionally speaking TLS (QEMU's
    /// <c>tls-creds-x509</c> on a socket chardev).</summary>
    /// <param name="host">A host name, an IPv4 literal or an IPv6 literal (with or without square brackets).</param>
    /// <param name="port">The TCP port, from 1 to 65535.</param>
    /// <param name="tls">TLS settings, or <see langword="null"/> for plain TCP. When its
    /// <see cref="SslClientAuthenticationOptions.TargetHost"/> is not set, <paramref name="host"/> is used to check the
    /// server's certificate. Set <see cref="SslClientAuthenticationOptions.CertificateChainPolicy"/> to trust a private CA,
    /// and <see cref="SslClientAuthenticationOptions.ClientCertificates"/> when the server verifies clients
    /// (<c>verify-peer=on</c>).</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 1 to 65535.</exception>
    public static QmpEndpoint Tcp(string host, int port, SslClientAuthenticationOptions? tls)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        return new QmpTcpEndpoint(host, port, tls);
    }

    /// <summary>Creates an endpoint for a QMP server listening on a Unix domain socket, the usual way QEMU is run
    /// (<c>-qmp unix:PATH,server=on,wait=off</c>).</summary>
    /// <param name="path">The path of the socket file.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public static QmpEndpoint Unix(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new QmpUnixEndpoint(path);
    }

    /// <summary>Parses an endpoint from text.</summary>
    /// <param name="text">One of <c>unix:/run/vm.qmp</c>, <c>/path/vm.qmp</c> (an absolute path), <c>tcp:host:4444</c>,
    /// <c>host:4444</c>, <c>tcp:[::1]:4444</c> or <c>[::1]:4444</c>.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is none of the accepted forms; the message names the text and the forms.</exception>
    public static QmpEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var endpoint))
        {
            return endpoint;
        }

        throw new FormatException(
            $"'{text}' is not a QMP endpoint. Accepted forms: 'unix:/path/to/socket', '/absolute/path/to/socket', " +
            "'tcp:host:port', 'host:port', 'tcp:[ipv6]:port' or '[ipv6]:port' (port 1-65535).");
    }

    /// <summary>Tries to parse an endpoint from text, accepting the forms that <see cref="Parse(string)"/> accepts.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="endpoint">The endpoint, when the text is valid.</param>
    /// <returns><see langword="true"/> when the text is a valid endpoint.</returns>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out QmpEndpoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (path.Length == 0)
            {
                return false;
            }

            endpoint = new QmpUnixEndpoint(path);
            return true;
        }

        if (text[0] == '/')
        {
            endpoint = new QmpUnixEndpoint(text);
            return true;
        }

        if (text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            text = text["tcp:".Length..];
        }

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 2 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return false;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ||
            port < 1 || port > IPEndPoint.MaxPort || host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            return false;
        }

        endpoint = new QmpTcpEndpoint(host, port);
        return true;
    }
}

/// <summary>A QMP server listening on TCP.</summary>
public sealed record QmpTcpEndpoint : QmpEndpoint
{
    internal QmpTcpEndpoint(string host, int port, SslClientAuthenticationOptions? tls = null)
    {
        Host = host;
        Port = port;
        Tls = tls;
    }

    /// <summary>Gets the host name or IP literal (an IPv6 literal is kept without brackets).</summary>
    public string Host { get; }

    /// <summary>Gets the TCP port.</summary>
    public int Port { get; }

    /// <summary>Gets the TLS settings, or <see langword="null"/> for plain TCP.</summary>
    public SslClientAuthenticationOptions? Tls { get; }

    /// <summary>Returns the endpoint in the form <see cref="QmpEndpoint.Parse(string)"/> accepts, e.g. <c>tcp:localhost:4444</c> or <c>tcp:[::1]:4444</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() =>
        (Host.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"tcp:[{Host}]:{Port}")
            : string.Create(CultureInfo.InvariantCulture, $"tcp:{Host}:{Port}")) + (Tls is null ? string.Empty : " (TLS)");
}

/// <summary>A QMP server listening on a Unix domain socket.</summary>
public sealed record QmpUnixEndpoint : QmpEndpoint
{
    internal QmpUnixEndpoint(string path) => Path = path;

    /// <summary>Gets the path of the socket file.</summary>
    public string Path { get; }

    /// <summary>Returns the endpoint in the form <see cref="QmpEndpoint.Parse(string)"/> accepts: <c>unix:PATH</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => "unix:" + Path;
}
