using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Qmp.Net.Benchmarks;

public enum Transport
{
    Unix,
    Tcp,
}

/// <summary>A minimal in-process QMP server for benchmarks: it sends a greeting, answers the first request with
/// <c>{"return": {}}</c> and every later one with a prepared <c>query-status</c> reply. It does no JSON work: it finds the end
/// of each request by counting braces outside strings, and answers everything a receive brought in with one write.
/// Optionally, once negotiated, it streams prepared events as fast as the socket takes them, or sends a number of events
/// before each reply; given a recorded schema, it answers a request naming <c>query-qmp-schema</c> with it.</summary>
public sealed class QmpResponder : IAsyncDisposable
{
    public static readonly byte[] StatusReply = Encoding.ASCII.GetBytes("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n");

    public static readonly byte[] EventLine = Encoding.ASCII.GetBytes(
        "{\"timestamp\": {\"seconds\": 1764072000, \"microseconds\": 512345}, \"event\": \"BALLOON_CHANGE\", \"data\": {\"actual\": 1073741824}}\r\n");

    private static readonly byte[] s_emptyReply = Encoding.ASCII.GetBytes("{\"return\": {}}\r\n");

    private readonly Socket _listener;
    private readonly byte[] _greeting;
    private readonly bool _streamEvents;
    private readonly int _eventsPerReply;
    private readonly byte[]? _schemaReply;
    private readonly string? _path;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _connections;

    private QmpResponder(Transport transport, bool offerOob, bool streamEvents, int eventsPerReply, byte[]? schemaReply)
    {
        _streamEvents = streamEvents;
        _eventsPerReply = eventsPerReply;
        _schemaReply = schemaReply;
        var capabilities = offerOob ? "[\"oob\"]" : "[]";
        _greeting = Encoding.ASCII.GetBytes(
            "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"Debian 1:7.2\"}, \"capabilities\": " + capabilities + "}}\r\n");
        if (transport == Transport.Unix)
        {
            _path = Path.Combine(Path.GetTempPath(), $"qmpbench-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(_path));
            SocketEndPoint = new UnixDomainSocketEndPoint(_path);
            Endpoint = QmpEndpoint.Unix(_path);
        }
        else
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            SocketEndPoint = new IPEndPoint(IPAddress.Loopback, port);
            Endpoint = QmpEndpoint.Tcp("127.0.0.1", port);
        }

        _listener.Listen(2048);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Gets the endpoint for a <see cref="QmpClient"/>.</summary>
    public QmpEndpoint Endpoint { get; }

    /// <summary>Gets the same address for a bare <see cref="Socket"/>.</summary>
    public EndPoint SocketEndPoint { get; }

    /// <summary>Gets the number of connections open on the server side.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Starts a responder.</summary>
    /// <param name="transport">Unix socket or TCP loopback.</param>
    /// <param name="offerOob">Whether the greeting offers the <c>oob</c> capability.</param>
    /// <param name="streamEvents">Whether to stream events without end once the first request has been answered.</param>
    /// <param name="eventsPerReply">How many events to send before each reply after the first.</param>
    /// <param name="schemaReply">The whole reply line to a <c>query-qmp-schema</c> request, or null to answer it like any
    /// other (<see cref="RecordedSchema"/>).</param>
    public static QmpResponder Start(Transport transport, bool offerOob = false, bool streamEvents = false, int eventsPerReply = 0, byte[]? schemaReply = null) =>
        new(transport, offerOob, streamEvents, eventsPerReply, schemaReply);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        if (_path is not null)
        {
            File.Delete(_path);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(_stop.Token);
            if (socket.AddressFamily != AddressFamily.Unix)
            {
                socket.NoDelay = true;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Interlocked.Increment(ref _connections);
        var input = new byte[8192];
        var output = new byte[8192];
        var depth = 0;
        var inString = false;
        var escaped = false;
        var answered = 0L;
        // The start of the request being read, kept only when there is a schema to answer with (requests are short).
        var request = _schemaReply is null ? [] : new byte[64];
        var requestLength = 0;
        try
        {
            await SendAllAsync(socket, _greeting);
            while (true)
            {
                var received = await socket.ReceiveAsync(input, SocketFlags.None, _stop.Token);
                if (received == 0)
                {
                    return;
                }

                var length = 0;
                for (var i = 0; i < received; i++)
                {
                    var b = input[i];
                    if (requestLength < request.Length)
                    {
                        request[requestLength++] = b;
                    }

                    if (inString)
                    {
                        if (escaped)
                        {
                            escaped = false;
                        }
                        else if (b == '\\')
                        {
                            escaped = true;
                        }
                        else if (b == '"')
                        {
                            inString = false;
                        }
                    }
                    else if (b == '"')
                    {
                        inString = true;
                    }
                    else if (b == '{')
                    {
                        depth++;
                    }
                    else if (b == '}' && --depth == 0)
                    {
                        var first = answered++ == 0;
                        for (var e = first ? 0 : _eventsPerReply; e > 0; e--)
                        {
                            Append(ref output, ref length, EventLine);
                        }

                        var schema = _schemaReply is not null && request.AsSpan(0, requestLength).IndexOf("\"query-qmp-schema\""u8) >= 0;
                        requestLength = 0;
                        Append(ref output, ref length, first ? s_emptyReply : schema ? _schemaReply! : StatusReply);
                    }
                }

                if (length > 0)
                {
                    await SendAllAsync(socket, output.AsMemory(0, length));
                    if (_streamEvents && answered == 1)
                    {
                        _ = StreamEventsAsync(socket);
                    }
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    private static void Append(ref byte[] output, ref int length, byte[] data)
    {
        if (output.Length - length < data.Length)
        {
            Array.Resize(ref output, Math.Max(output.Length * 2, length + data.Length));
        }

        data.CopyTo(output, length);
        length += data.Length;
    }

    private async Task StreamEventsAsync(Socket socket)
    {
        // About 56 KB of whole events per write.
        var block = new byte[EventLine.Length * 512];
        for (var i = 0; i < 512; i++)
        {
            EventLine.CopyTo(block, i * EventLine.Length);
        }

        try
        {
            while (true)
            {
                await SendAllAsync(socket, block);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, _stop.Token);
            data = data[sent..];
        }
    }
}
