using System.Text.Json;

namespace Qmp.Net.Testing;

/// <summary>What <see cref="CommandFramer.TryRead"/> found.</summary>
internal enum FrameKind
{
    /// <summary>Nothing complete yet: receive more.</summary>
    NeedMore,

    /// <summary>One complete JSON value.</summary>
    Message,

    /// <summary>Input that is not JSON: everything buffered from the bad value on is given up, as QEMU's parser does.</summary>
    Invalid,

    /// <summary>A value that has grown past the limit without ending; the input cannot be followed any further.</summary>
    TooLong,
}

/// <summary>Frames the JSON values a client sends to <see cref="QmpTestServer"/>: one receive buffer, capped, scanned once.</summary>
/// <remarks>
/// <para>This framer is the server's own, on purpose, not the client's <c>MessageReader</c>: the two read different things
/// and fail differently. The client reads a trusted server's replies and ends the connection on anything malformed; the
/// test server reads whatever a client under test sends and must answer as QEMU does — bad JSON gets an error without an
/// id and the connection goes on, a top-level non-object is refused by the caller, any member is kept for the checks that
/// follow. Sharing the client's reader would tie the server's fault behaviour to the client's, which is what the server is
/// there to test.</para>
/// <para>Resumable: when a value is incomplete, the JSON reader's state and how far it got are kept, and the next receive
/// continues from there instead of scanning the value again from its start (<see cref="BytesExamined"/> counts the bytes
/// handed to the reader). Capped: a value that has not ended within <see cref="MaxMessageBytes"/> is reported as
/// <see cref="FrameKind.TooLong"/>, so the buffer never grows much past the limit.</para>
/// </remarks>
internal sealed class CommandFramer
{
    private const int MinimumReceive = 4096;

    private byte[] _buffer = new byte[MinimumReceive];

    /// <summary>Where the unconsumed input starts: the current value's first byte while one is being read.</summary>
    private int _start;

    /// <summary>Where the received input ends.</summary>
    private int _end;

    /// <summary>Whether a value has started (its first byte is at <see cref="_start"/>).</summary>
    private bool _inValue;

    /// <summary>How many bytes of the current value the reader has consumed so far.</summary>
    private int _scanned;

    private JsonReaderState _state;

    public CommandFramer(int maxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        MaxMessageBytes = maxMessageBytes;
    }

    /// <summary>Gets the most bytes one value may have.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Gets the total number of bytes handed to the JSON reader (for tests: about the input's length when
    /// framing resumes, far more when it rescans).</summary>
    public long BytesExamined { get; private set; }

    /// <summary>Gets the receive buffer's size now.</summary>
    public int BufferCapacity => _buffer.Length;

    /// <summary>Returns free space at the end of the buffer to receive into (compacting or growing it first).</summary>
    public Memory<byte> GetReceiveBuffer()
    {
        if (_start == _end && !_inValue)
        {
            _start = _end = 0;
        }

        if (_buffer.Length - _end < MinimumReceive)
        {
            var used = _end - _start;
            var size = _buffer.Length;

            // Grow only when compacting would not free enough; never much past the limit (a value is refused beyond it).
            while (size - used < MinimumReceive)
            {
                size *= 2;
            }

            size = Math.Min(size, Math.Max(_buffer.Length, MaxMessageBytes + MinimumReceive));
            var target = size == _buffer.Length ? _buffer : new byte[size];
            Buffer.BlockCopy(_buffer, _start, target, 0, used);
            (_buffer, _start, _end) = (target, 0, used);
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Takes <paramref name="received"/> bytes written into <see cref="GetReceiveBuffer"/>'s memory.</summary>
    public void Advance(int received)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(received);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(received, _buffer.Length - _end);
        _end += received;
    }

    /// <summary>Finds the next complete JSON value, skipping whitespace before it. Call until it returns
    /// <see cref="FrameKind.NeedMore"/>.</summary>
    /// <param name="message">The value's bytes (<see cref="FrameKind.Message"/>), the bytes given up
    /// (<see cref="FrameKind.Invalid"/>), or empty.</param>
    public FrameKind TryRead(out byte[] message)
    {
        message = [];
        if (!_inValue)
        {
            while (_start < _end && _buffer[_start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                _start++;
            }

            if (_start == _end)
            {
                return FrameKind.NeedMore;
            }

            (_inValue, _scanned, _state) = (true, 0, default);
        }

        var unscanned = _buffer.AsSpan(_start + _scanned, _end - _start - _scanned);
        BytesExamined += unscanned.Length;
        var reader = new Utf8JsonReader(unscanned, isFinalBlock: false, _state);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
                {
                    var length = _scanned + (int)reader.BytesConsumed;
                    message = _buffer.AsSpan(_start, length).ToArray();
                    _start += length;
                    _inValue = false;
                    return FrameKind.Message;
                }
            }
        }
        catch (JsonException)
        {
            // Like QEMU's parser, give up on what was buffered and let the caller answer with an error that carries no id.
            message = _buffer.AsSpan(_start, _end - _start).ToArray();
            _start = _end;
            _inValue = false;
            return FrameKind.Invalid;
        }

        _scanned += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
        if (_end - _start > MaxMessageBytes)
        {
            _start = _end;
            _inValue = false;
            return FrameKind.TooLong;
        }

        return FrameKind.NeedMore;
    }
}
