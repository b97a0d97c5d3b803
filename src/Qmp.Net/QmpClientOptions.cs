using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Qmp.Net;

/// <summary>Settings of a <see cref="QmpClient"/>.</summary>
/// <remarks>Options are immutable; derive a changed copy with a <c>with</c> expression from <see cref="Default"/>.</remarks>
public sealed record QmpClientOptions
{
    /// <summary>The default limit on one incoming message: 16 MiB.</summary>
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>Gets the options with every default value.</summary>
    public static QmpClientOptions Default { get; } = new();

    /// <summary>Gets how long the client waits for the next message from the server while at least one response is
    /// expected; any whole message received (response or event) restarts it, while whitespace or part of a message does not. When it elapses, the connection is aborted and every
    /// pending command fails with <see cref="QmpCommunicationException"/> (<see cref="QmpCommunicationError.TransactionTimeout"/>).</summary>
    /// <value>The default value is 30 seconds. <see cref="Timeout.InfiniteTimeSpan"/> disables the timeout.</value>
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the time allowed for connecting: the socket connection, the greeting and the capabilities negotiation
    /// together, retries through <see cref="ConnectRetry"/> included. When it elapses, connecting fails with <see cref="QmpConnectionException"/> (<see cref="System.Net.Sockets.SocketError.TimedOut"/>).</summary>
    /// <value>The default value is 10 seconds. <see cref="Timeout.InfiniteTimeSpan"/> disables the timeout.</value>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets a resilience pipeline that wraps the socket connection step, for example to retry while a freshly
    /// started QEMU has not created its socket yet. <see cref="QmpConnectRetry.Create(int, TimeSpan?)"/> builds a ready one.</summary>
    /// <value>The default value is <see langword="null"/>: a failed connection attempt fails at once.</value>
    public ResiliencePipeline? ConnectRetry { get; init; }

    /// <summary>Gets the largest incoming message accepted, in bytes. A larger message is a protocol violation
    /// (<see cref="QmpCommunicationError.UnexpectedResponse"/>): the client never buffers without bound.</summary>
    /// <value>The default value is 16 MiB (QEMU's <c>query-qmp-schema</c>, its largest common reply, is about 200 KB).</value>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>Gets how many events each subscription buffers before the oldest is dropped.</summary>
    /// <value>The default value is 1024.</value>
    public int EventBufferCapacity { get; init; } = 1024;

    /// <summary>Gets the logger factory the client logs through.</summary>
    /// <value>The default value is <see langword="null"/>, which logs nothing (<see cref="NullLoggerFactory.Instance"/>).</value>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Gets the clock used for the transaction and connect timeouts.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>; tests pass a fake one.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets a value indicating whether to negotiate the <c>oob</c> capability when the server offers it.
    /// With it, QEMU reads up to 8 in-band commands ahead and <see cref="QmpClient.ExecuteOobAsync(string, object?, CancellationToken)"/> is available.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool EnableOob { get; init; } = true;

    /// <summary>Gets a value indicating whether in-band commands carry an <c>id</c> (checked against the reply).
    /// Useful when reading wire logs; it costs QEMU a few microseconds per byte, so it is off by default and in-band
    /// commands are matched by order.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool SendCommandIds { get; init; }

    /// <summary>Gets the serializer options used to write command arguments given as objects and to read typed results.</summary>
    /// <value>The default value is <see langword="null"/>: kebab-case property names (<c>QomType</c> becomes <c>qom-type</c>),
    /// case-insensitive reading, null members left out, and reflection-based metadata where the application allows it.
    /// For native AOT, pass options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> is a source-generated context,
    /// or use the overloads taking a <see cref="System.Text.Json.Serialization.Metadata.JsonTypeInfo{T}"/>.</value>
    public JsonSerializerOptions? SerializerOptions { get; init; }

    /// <summary>Gets which threads read the connection and resume answered callers. <see cref="QmpIoMode.DedicatedThread"/>
    /// reads on a thread of the connection's own and resumes the answered caller there without a thread-pool hop, which keeps
    /// round trips fast when the host's cores are taken (see <see cref="QmpIoMode"/> for what it costs).</summary>
    /// <value>The default value is <see cref="QmpIoMode.ThreadPool"/>.</value>
    public QmpIoMode IoMode { get; init; }
}
