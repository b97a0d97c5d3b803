using System.Net.Sockets;

namespace Qmp.Net;

/// <summary>The base of every exception Qmp.Net raises for a protocol, server or connection outcome.</summary>
public class QmpException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="QmpException"/> class.</summary>
    public QmpException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QmpException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public QmpException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QmpException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public QmpException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server answered a command with an error reply (<c>{"error": {"class": ..., "desc": ...}}</c>).</summary>
/// <remarks>Decide on <see cref="ErrorClass"/>; <see cref="Description"/> is human-readable text that servers change between versions.</remarks>
public sealed class QmpErrorException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QmpErrorException"/> class.</summary>
    /// <param name="errorClass">The error class, e.g. <c>GenericError</c> or <c>CommandNotFound</c>.</param>
    /// <param name="description">The server's description.</param>
    /// <param name="command">The command that failed.</param>
    public QmpErrorException(string errorClass, string description, string command)
        : base($"QMP command '{command}' failed: {errorClass}: {description}")
    {
        ErrorClass = errorClass;
        Description = description;
        Command = command;
    }

    /// <summary>Gets the error class, e.g. <c>GenericError</c>, <c>CommandNotFound</c>, <c>DeviceNotFound</c>.</summary>
    public string ErrorClass { get; }

    /// <summary>Gets the server's human-readable description. A secret value that the failed command carried (a
    /// <c>password</c> member, the <c>data</c> of a <c>secret</c> object) is replaced by <c>***</c> if the server echoes it.</summary>
    public string Description { get; }

    /// <summary>Gets the name of the command that failed.</summary>
    public string Command { get; }
}

/// <summary>What broke a connection's communication (QI-QMP's <c>CommunicationError</c>).</summary>
public enum QmpCommunicationError
{
    /// <summary>Writing to the socket failed.</summary>
    WriteFailed,

    /// <summary>Reading from the socket failed, or the server closed the connection in the middle of a message.</summary>
    ReadFailed,

    /// <summary>No message arrived within <see cref="QmpClientOptions.TransactionTimeout"/> while a response was expected.</summary>
    TransactionTimeout,

    /// <summary>A response arrived while no command was pending.</summary>
    UnexpectedReceive,

    /// <summary>A message was not valid QMP: not a JSON object, invalid UTF-8, too large, or a response that matches no command.</summary>
    UnexpectedResponse,
}

/// <summary>The connection broke: a read or write failed, the transaction timed out, or the server broke the protocol.
/// Every pending command fails with it, and <see cref="QmpClient.Completion"/> faults with it.</summary>
public sealed class QmpCommunicationException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QmpCommunicationException"/> class.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public QmpCommunicationException(QmpCommunicationError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Gets what went wrong.</summary>
    public QmpCommunicationError Error { get; }
}

/// <summary>A connection to the server could not be made: refused, no socket file, unreachable, or timed out
/// (<see cref="QmpClientOptions.ConnectTimeout"/> at any step of connecting gives <see cref="SocketError.TimedOut"/>).</summary>
public sealed class QmpConnectionException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QmpConnectionException"/> class.</summary>
    /// <param name="socketError">The socket error.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public QmpConnectionException(SocketError socketError, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        SocketError = socketError;
    }

    /// <summary>Gets the socket error, e.g. <see cref="SocketError.ConnectionRefused"/> or <see cref="SocketError.TimedOut"/>.</summary>
    public SocketError SocketError { get; }
}

/// <summary>A command could not complete because the connection ended: <see cref="QmpClient.Abort"/>, a
/// <see cref="QmpClient.DisconnectAsync(CancellationToken)"/> cut short, a disposed client, or the server closing the connection.</summary>
public sealed class QmpConnectionClosedException : QmpException
{
    /// <summary>Initializes a new instance of the <see cref="QmpConnectionClosedException"/> class.</summary>
    public QmpConnectionClosedException()
        : base("The QMP connection is closed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QmpConnectionClosedException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public QmpConnectionClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QmpConnectionClosedException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public QmpConnectionClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
