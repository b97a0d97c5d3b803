using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Qmp.Net.Benchmarks;

/// <summary>The floor any .NET QMP client can reach: a bare <see cref="Socket"/> that writes prepared command bytes and counts
/// reply lines (QMP servers end every message with CRLF), with no JSON work at all. Its async methods use pooled builders,
/// so that it allocates (next to) nothing: its allocation column is the floor of the socket machinery itself.</summary>
public sealed class RawQmpConnection : IDisposable
{
    /// <summary>The bytes Qmp.Net writes for <c>query-status</c>.</summary>
    public static readonly byte[] QueryStatus = "{\"execute\":\"query-status\"}"u8.ToArray();

    public static readonly byte[] Capabilities = "{\"execute\":\"qmp_capabilities\"}"u8.ToArray();

    public static readonly byte[] CapabilitiesWithOob = "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[4096];
    private byte[] _batch = [];

    private RawQmpConnection(Socket socket) => _socket = socket;

    /// <summary>Gets the connected socket (the scale measurement keeps only this, not the connection's buffer).</summary>
    public Socket Socket => _socket;

    /// <summary>Connects, reads the greeting and sends <paramref name="capabilities"/>, waiting for its answer.</summary>
    public static async Task<RawQmpConnection> ConnectAsync(EndPoint endPoint, byte[] capabilities)
    {
        var unix = endPoint is UnixDomainSocketEndPoint;
        var socket = new Socket(unix ? AddressFamily.Unix : endPoint.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        if (!unix)
        {
            socket.NoDelay = true;
        }

        try
        {
            await socket.ConnectAsync(endPoint);
            var connection = new RawQmpConnection(socket);
            await connection.ReadLinesAsync(1);
            await connection.RoundTripAsync(capabilities);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes one command and waits for one reply line.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RoundTripAsync(byte[] command)
    {
        await SendAsync(command);
        await ReadLinesAsync(1);
    }

    /// <summary>Sends <paramref name="total"/> copies of <paramref name="command"/>, keeping at most <paramref name="window"/>
    /// unanswered, and waits for every reply.</summary>
    public async Task PipelineAsync(byte[] command, int total, int window)
    {
        var sent = Math.Min(window, total);
        await SendCopiesAsync(command, sent);
        var answered = 0;
        while (answered < total)
        {
            var lines = await ReadSomeLinesAsync();
            answered += lines;
            var more = Math.Min(lines, total - sent);
            if (more > 0)
            {
                await SendCopiesAsync(command, more);
                sent += more;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCopiesAsync(byte[] command, int copies)
    {
        if (copies == 1)
        {
            await SendAsync(command);
            return;
        }

        var length = command.Length * copies;
        if (_batch.Length < length)
        {
            _batch = new byte[length];
        }

        for (var i = 0; i < copies; i++)
        {
            command.CopyTo(_batch, i * command.Length);
        }

        await SendAsync(_batch.AsMemory(0, length));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await _socket.SendAsync(data, SocketFlags.None)..];
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadLinesAsync(int lines)
    {
        while (lines > 0)
        {
            lines -= await ReadSomeLinesAsync();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSomeLinesAsync()
    {
        var received = await _socket.ReceiveAsync(_buffer, SocketFlags.None);
        if (received == 0)
        {
            throw new IOException("The server closed the connection.");
        }

        return _buffer.AsSpan(0, received).Count((byte)'\n');
    }

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
