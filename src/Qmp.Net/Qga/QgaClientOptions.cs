using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;

namespace Qmp.Net.Qga;

/// <summary>Settings of a <see cref="QgaClient"/>.</summary>
/// <remarks>Options are immutable; derive a changed copy with a <c>with</c> expression from <see cref="Default"/>.</remarks>
public sealed record QgaClientOptions
{
    /// <summary>Gets the options with every default value.</summary>
    public static QgaClientOptions Default { get; } = new();

    /// <summary>Gets how long a command (and the <c>guest-sync-delimited</c> that may precede it) waits for the agent's
    /// reply once it was written. The host side of the channel accepts writes when no agent runs in the guest, so without
    /// a limit a command to an absent agent would wait forever. When it elapses the command fails with
    /// <see cref="QgaTimeoutException"/>; the connection stays open and the next command resynchronises first.</summary>
    /// <value>The default value is 10 seconds. <see cref="Timeout.InfiniteTimeSpan"/> disables the limit.</value>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the time allowed for connecting to the channel's socket, retries through <see cref="ConnectRetry"/> included.</summary>
    /// <value>The default value is 10 seconds. <see cref="Timeout.InfiniteTimeSpan"/> disables the timeout.</value>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets a resilience pipeline that wraps the socket connection, e.g. <see cref="QmpConnectRetry.Create(int, TimeSpan?)"/>.</summary>
    /// <value>The default value is <see langword="null"/>: a failed connection attempt fails at once.</value>
    public ResiliencePipeline? ConnectRetry { get; init; }

    /// <summary>Gets the largest reply accepted, in bytes (a larger one fails its command and the client resynchronises).</summary>
    /// <value>The default value is 16 MiB.</value>
    public int MaxMessageBytes { get; init; } = QmpClientOptions.DefaultMaxMessageBytes;

    /// <summary>Gets the logger factory the client logs through.</summary>
    /// <value>The default value is <see langword="null"/>, which logs nothing.</value>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Gets the clock used for the command and connect timeouts.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>; tests pass a fake one.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets the serializer options used to write arguments given as objects and to read typed results.</summary>
    /// <value>The default value is <see langword="null"/>: the same defaults as <see cref="QmpClientOptions.SerializerOptions"/>
    /// (kebab-case names, null members left out).</value>
    public JsonSerializerOptions? SerializerOptions { get; init; }
}
