using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;

namespace Qmp.Net.Internal;

/// <summary>Builds every exception the library raises for protocol and connection outcomes, so their wording stays consistent.</summary>
internal static class ExceptionFactory
{
    public static QmpCommunicationException NotAnObject(byte first) =>
        Violation(string.Create(CultureInfo.InvariantCulture, $"the server sent something that is not a JSON object (first byte 0x{first:X2})"));

    public static QmpCommunicationException MessageTooLarge(int limit) =>
        Violation(string.Create(CultureInfo.InvariantCulture, $"the server sent a message larger than MaxMessageBytes ({limit} bytes)"));

    public static QmpCommunicationException InvalidUtf8() => Violation("the server sent a message that is not valid UTF-8");

    public static QmpCommunicationException LoneSurrogate() =>
        Violation("the server sent a string with an escaped lone surrogate, which is not Unicode text");

    public static QmpCommunicationException InvalidJson(JsonException e) =>
        new(QmpCommunicationError.UnexpectedResponse, "QMP protocol violation: the server sent invalid JSON: " + e.Message, e);

    public static QmpCommunicationException DuplicateMember(string name) => Violation($"a message has the member '{name}' twice");

    public static QmpCommunicationException BadMember(string name, string expected) => Violation($"a message's '{name}' is not {expected}");

    public static QmpCommunicationException UnknownMessage() =>
        Violation("a message is neither a greeting ('QMP'), a response ('return' or 'error') nor an event ('event')");

    public static QmpCommunicationException AmbiguousMessage() =>
        Violation("a message has more than one of 'QMP', 'return', 'error' and 'event'");

    public static QmpCommunicationException BadGreeting(string why) => Violation("the greeting is malformed: " + why);

    public static QmpCommunicationException ExpectedGreeting() =>
        Violation("the server's first message is not a greeting ({\"QMP\": {...}})");

    public static QmpCommunicationException UnexpectedGreeting() => Violation("the server sent a second greeting");

    public static QmpCommunicationException WrongId(string command) =>
        Violation($"the response to '{command}' carries an id that does not match the command");

    public static QmpCommunicationException MissingId(string command) =>
        Violation($"the response to '{command}' carries no id although the command was sent with one");

    public static QmpCommunicationException UnmatchedId() =>
        Violation("a response carries an id that matches no pending command");

    public static QmpCommunicationException UnexpectedReceive() =>
        new(QmpCommunicationError.UnexpectedReceive, "The server sent a response while no command was pending.");

    public static QmpCommunicationException ReadFailed(Exception? inner) =>
        new(QmpCommunicationError.ReadFailed, "Reading from the QMP connection failed" + (inner is null ? "." : ": " + inner.Message), inner);

    public static QmpCommunicationException ClosedMidMessage() =>
        new(QmpCommunicationError.ReadFailed, "The server closed the connection in the middle of a message.");

    public static QmpCommunicationException WriteFailed(Exception inner) =>
        new(QmpCommunicationError.WriteFailed, "Writing to the QMP connection failed: " + inner.Message, inner);

    public static QmpCommunicationException TransactionTimeout(TimeSpan timeout) =>
        new(QmpCommunicationError.TransactionTimeout,
            string.Create(CultureInfo.InvariantCulture, $"No message arrived within the transaction timeout ({timeout.TotalMilliseconds:0} ms) while a response was expected."));

    /// <summary>A bug in Qmp.Net ended the connection; the server is not to blame.</summary>
    public static InvalidOperationException InternalError(Exception inner) =>
        new("An internal error in Qmp.Net ended the QMP connection (please report it): " + inner.Message, inner);

    public static QmpConnectionClosedException Closed() => new("The QMP connection is closed.");

    public static QmpConnectionClosedException ClosedBy(Exception cause) => new("The QMP connection is closed: " + cause.Message, cause);

    public static QmpConnectionException ConnectFailed(QmpEndpoint endpoint, SocketException e) =>
        new(e.SocketErrorCode, $"Could not connect to the QMP server at {endpoint}: {DescribeConnectFailure(endpoint, e)}", e);

    /// <summary>Says what a failed connect means; for a Unix socket in terms of its file (the socket layer reports a missing
    /// file as ENOENT, which .NET maps to AddressNotAvailable, "Cannot assign requested address").</summary>
    private static string DescribeConnectFailure(QmpEndpoint endpoint, SocketException e) => (endpoint, e.SocketErrorCode) switch
    {
        (QmpUnixEndpoint unix, SocketError.AddressNotAvailable) when !Path.Exists(unix.Path) =>
            $"the socket file '{unix.Path}' does not exist (is the server running, and is the path right?).",
        (QmpUnixEndpoint unix, SocketError.ConnectionRefused) =>
            $"the connection was refused: the socket file '{unix.Path}' exists but nothing listens on it (ConnectionRefused).",
        (QmpUnixEndpoint unix, SocketError.AccessDenied) =>
            $"permission denied on the socket file '{unix.Path}' or a directory above it (AccessDenied).",
        _ => $"{e.Message} ({e.SocketErrorCode}).",
    };

    public static QmpConnectionException TlsFailed(QmpEndpoint endpoint, Exception e) =>
        new(e is SocketException s ? s.SocketErrorCode : SocketError.SocketError,
            $"The TLS handshake with the QMP server at {endpoint} failed: {e.Message}", e);

    public static QmpConnectionException ClosedBeforeGreeting(QmpEndpoint endpoint) =>
        new(SocketError.ConnectionReset,
            $"The QMP server at {endpoint} closed the connection before sending its greeting." +
            (endpoint is QmpTcpEndpoint { Tls: not null }
                ? " Over TLS this is how a server that requires a client certificate refuses a client without an acceptable one."
                : string.Empty));

    public static QmpConnectionException ConnectTimedOut(QmpEndpoint endpoint, TimeSpan timeout, QmpState step) =>
        new(SocketError.TimedOut,
            string.Create(CultureInfo.InvariantCulture, $"Connecting to the QMP server at {endpoint} timed out after {timeout.TotalMilliseconds:0} ms (while {Describe(step)})."));

    [DoesNotReturn]
    public static void ThrowNotConnected(QmpState state) =>
        throw new InvalidOperationException(state switch
        {
            QmpState.Disconnected => "The QMP client is not connected: call ConnectAsync first.",
            _ => "The QMP client is still connecting: await ConnectAsync before executing commands.",
        });

    [DoesNotReturn]
    public static void ThrowAlreadyStarted() =>
        throw new InvalidOperationException(
            "ConnectAsync was already called on this QmpClient. A client makes one connection; create a new QmpClient to connect again.");

    [DoesNotReturn]
    public static void ThrowOobNotNegotiated() =>
        throw new InvalidOperationException(
            "Out-of-band execution needs the 'oob' capability, which was not negotiated (the server did not offer it, or QmpClientOptions.EnableOob is false).");

    private static QmpCommunicationException Violation(string what) =>
        new(QmpCommunicationError.UnexpectedResponse, "QMP protocol violation: " + what + ".");

    private static string Describe(QmpState step) => step switch
    {
        QmpState.Connecting => "connecting the socket",
        QmpState.AwaitingGreeting => "waiting for the greeting",
        QmpState.Negotiating => "negotiating capabilities",
        _ => "connecting",
    };
}
