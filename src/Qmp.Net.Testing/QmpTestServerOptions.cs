namespace Qmp.Net.Testing;

/// <summary>Where a <see cref="QmpTestServer"/> listens.</summary>
public enum QmpTestServerTransport
{
    /// <summary>A Unix domain socket in a fresh private directory (mode 0700), deleted when the server is disposed.</summary>
    Unix,

    /// <summary>TCP on 127.0.0.1, on a port the system picks.</summary>
    Tcp,
}

/// <summary>Which commands a <see cref="QmpTestServer"/> answers before the test adds handlers of its own.</summary>
public enum QmpTestServerProfile
{
    /// <summary>No commands but <c>qmp_capabilities</c>: the test scripts every reply.</summary>
    Scripted,

    /// <summary>Answers like a QEMU 7.2 <c>-machine none -S</c> monitor: <c>query-status</c>, <c>stop</c>, <c>cont</c>,
    /// <c>system_reset</c>, <c>system_powerdown</c>, <c>quit</c> (with the run-state machine and the events QEMU sends),
    /// <c>query-version</c>, <c>query-commands</c>, <c>query-name</c> and <c>qom-list</c> on <c>/</c>, with QEMU's error
    /// texts for bad arguments. See <see cref="QmpTestServer.RunState"/>.</summary>
    QemuLike,
}

/// <summary>Settings of a <see cref="QmpTestServer"/>.</summary>
/// <remarks>Options are immutable; derive a changed copy with a <c>with</c> expression from <see cref="Default"/>.</remarks>
public sealed record QmpTestServerOptions
{
    /// <summary>Gets the options with every default value: a Unix socket and a QEMU 7.2 greeting offering <c>oob</c>.</summary>
    public static QmpTestServerOptions Default { get; } = new();

    /// <summary>Gets the default options with the <see cref="QmpTestServerProfile.QemuLike"/> profile: a server that
    /// behaves like a QEMU 7.2 <c>-machine none -S</c> monitor out of the box.</summary>
    /// <example><code>await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);</code></example>
    public static QmpTestServerOptions QemuLike { get; } = new() { Profile = QmpTestServerProfile.QemuLike };

    /// <summary>Gets the commands the server answers before the test adds its own handlers (which replace the
    /// profile's handler of the same command).</summary>
    /// <value>The default value is <see cref="QmpTestServerProfile.Scripted"/>.</value>
    public QmpTestServerProfile Profile { get; init; } = QmpTestServerProfile.Scripted;

    /// <summary>Gets where the server listens.</summary>
    /// <value>The default value is <see cref="QmpTestServerTransport.Unix"/>.</value>
    public QmpTestServerTransport Transport { get; init; } = QmpTestServerTransport.Unix;

    /// <summary>Gets the Unix socket path to listen on, for tests that must know it before the server starts (e.g. a
    /// client retrying until the socket appears). The socket file is deleted on dispose; its directory is the caller's.</summary>
    /// <value>The default value is <see langword="null"/>: a socket in a fresh private directory (mode 0700), deleted on dispose.</value>
    public string? SocketPath { get; init; }

    /// <summary>Gets the version the greeting announces.</summary>
    /// <value>The default value is QEMU 7.2.0 with the package string of Debian 12's build.</value>
    public QmpVersion Version { get; init; } = new(7, 2, 0, "Debian 1:7.2+dfsg-7+deb12u7");

    /// <summary>Gets the capabilities the greeting offers; the client may enable any of them with <c>qmp_capabilities</c>.
    /// Offering <c>oob</c> makes <c>exec-oob</c> available once the client has enabled it.</summary>
    /// <value>The default value is <c>["oob"]</c>, as a QEMU 7.2 monitor on a socket offers.</value>
    public IReadOnlyList<string> Capabilities { get; init; } = ["oob"];

    /// <summary>Gets a value indicating whether the server greets a new connection at all.</summary>
    /// <value>The default value is <see langword="true"/>. With <see langword="false"/> the server sends nothing until
    /// the test does (for greeting timeouts and protocol tests).</value>
    public bool SendGreeting { get; init; } = true;

    /// <summary>Gets bytes sent as they are instead of the greeting, for protocol tests (a malformed greeting, invalid
    /// UTF-8, a greeting split oddly). Ignored when <see cref="SendGreeting"/> is <see langword="false"/>.</summary>
    /// <value>The default value is <see langword="null"/>: a greeting built from <see cref="Version"/> and <see cref="Capabilities"/>.</value>
    public byte[]? RawGreeting { get; init; }

    /// <summary>Gets a value indicating whether messages are written pretty-printed over many lines, as a QEMU monitor
    /// with <c>pretty=on</c> does.</summary>
    /// <value>The default value is <see langword="false"/>: one compact line per message, ended with CRLF.</value>
    public bool Indented { get; init; }

    /// <summary>Gets the size of the pieces each message is written in, one socket send per piece; 0 writes each message
    /// in one send. 1 writes byte by byte. Can be changed later through <see cref="QmpTestServer.WriteChunkSize"/>.</summary>
    /// <value>The default value is 0.</value>
    public int WriteChunkSize { get; init; }

    /// <summary>Gets the most bytes one command (one JSON value the client sends) may have. A command that grows past it
    /// gets a <c>GenericError</c> without an id, and the server then closes the connection, since it can no longer tell
    /// where the next command starts; the server's receive buffer never grows much beyond this.</summary>
    /// <value>The default value is 64 MiB, QEMU's own limit on one JSON token.</value>
    public int MaxCommandBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Gets the clock that stamps events emitted without an explicit timestamp.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
