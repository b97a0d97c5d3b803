using System.Net.Sockets;

namespace Qmp.Net.Benchmarks;

/// <summary>The fastest a .NET process talks to QEMU: one thread doing blocking <see cref="Socket.Send(ReadOnlySpan{byte})"/>
/// and <see cref="Socket.Receive(Span{byte})"/> of the same bytes Qmp.Net writes, and counting reply lines (QEMU ends every
/// message with CRLF) instead of parsing JSON. No thread pool, no completion, no hand-off: the caller's thread sleeps in the
/// kernel until QEMU answers. It is the floor <see cref="RealQemuBenchmarks"/> and <see cref="InterleavedMode"/> measure
/// Qmp.Net against. Not thread-safe: one thread at a time.</summary>
public sealed class BlockingQmpConnection : IDisposable
{
    public static readonly byte[] Cont = "{\"execute\":\"cont\"}"u8.ToArray();

    public static readonly byte[] Stop = "{\"execute\":\"stop\"}"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65536];
    private readonly byte[] _batch = new byte[64 * RawQmpConnection.QueryStatus.Length];

    /// <summary>Lines read beyond what the last wait needed.</summary>
    private int _surplus;

    private BlockingQmpConnection(Socket socket) => _socket = socket;

    /// <summary>Connects to a Unix socket, reads the greeting and negotiates <c>oob</c>, as Qmp.Net does.</summary>
    public static BlockingQmpConnection Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            var connection = new BlockingQmpConnection(socket);
            connection.WaitLines(1);
            connection.RoundTrip(RawQmpConnection.CapabilitiesWithOob, lines: 1);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes one command and waits for <paramref name="lines"/> reply lines.</summary>
    public void RoundTrip(byte[] command, int lines)
    {
        SendAll(command);
        WaitLines(lines);
    }

    /// <summary><paramref name="count"/> <c>query-status</c>, one at a time.</summary>
    public void Sequential(int count)
    {
        for (var i = 0; i < count; i++)
        {
            RoundTrip(RawQmpConnection.QueryStatus, lines: 1);
        }
    }

    /// <summary><paramref name="total"/> <c>query-status</c>, keeping <paramref name="window"/> unanswered: what 8 callers
    /// of a client that respects QEMU's read-ahead of 8 can at best achieve.</summary>
    public void Window(int total, int window)
    {
        var sent = Math.Min(window, total);
        var answered = _surplus;
        _surplus = 0;
        SendCopies(sent);
        while (answered < total)
        {
            var lines = ReadLines();
            answered += lines;
            var more = Math.Min(lines, total - sent);
            if (more > 0)
            {
                SendCopies(more);
                sent += more;
            }
        }

        _surplus = answered - total;
    }

    /// <summary><paramref name="count"/> commands alternating <c>cont</c> and <c>stop</c> (start from a paused machine, use an
    /// even count), each waited for with its event (<c>RESUME</c> or <c>STOP</c>, sent before the return): two lines.</summary>
    public void EventRoundTrips(int count)
    {
        for (var i = 0; i < count; i++)
        {
            RoundTrip(i % 2 == 0 ? Cont : Stop, lines: 2);
        }
    }

    public void Dispose() => _socket.Dispose();

    private void SendCopies(int copies)
    {
        var one = RawQmpConnection.QueryStatus.Length;
        for (var i = 0; i < copies; i++)
        {
            RawQmpConnection.QueryStatus.CopyTo(_batch, i * one);
        }

        SendAll(_batch.AsSpan(0, copies * one));
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[_socket.Send(data, SocketFlags.None)..];
        }
    }

    private void WaitLines(int wanted)
    {
        while (_surplus < wanted)
        {
            _surplus += ReadLines();
        }

        _surplus -= wanted;
    }

    /// <summary>One blocking receive; returns how many lines ended in it.</summary>
    private int ReadLines()
    {
        var received = _socket.Receive(_buffer, SocketFlags.None);
        if (received == 0)
        {
            throw new IOException("QEMU closed the connection.");
        }

        return _buffer.AsSpan(0, received).Count((byte)'\n');
    }
}
