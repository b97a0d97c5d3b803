using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace Qmp.Net.Internal;

/// <summary>Splits an incoming byte stream into complete top-level JSON objects.</summary>
/// <remarks>
/// Boundaries are found with <see cref="Utf8JsonReader"/>, resumed across reads with its saved state, so each byte is
/// scanned once however the stream is split. Whitespace between messages is skipped. Anything that does not start with
/// <c>{</c>, is not valid JSON, is not valid UTF-8, escapes a lone surrogate, or grows beyond the size limit is a protocol violation. The buffer is
/// pooled, grows only as far as the limit allows, and shrinks back once a large message has been consumed.
/// </remarks>
internal sealed class MessageReader : IDisposable
{
    internal const int InitialBufferSize = 4096;
    internal const int MaxDepth = 1024;
    private const int MinimumReadSize = 1024;

    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = MaxDepth };

    private readonly int _maxMessageBytes;
    private byte[] _buffer;
    private bool _pooled = true;
    private int _start;
    private int _end;
    private int _scanned;
    private bool _inMessage;
    private JsonReaderState _state;

    public MessageReader(int maxMessageBytes)
    {
        _maxMessageBytes = maxMessageBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferSize, maxMessageBytes + MinimumReadSize));
    }

    /// <summary>Gets a value indicating whether part of a message has been received but not yet its end.</summary>
    public bool HasPartialMessage => _inMessage || SkipWhitespace(_buffer.AsSpan(_start, _end - _start)) < _end - _start;

    /// <summary>Gets the number of bytes buffered and not yet returned as messages.</summary>
    public int BufferedBytes => _end - _start;

    /// <summary>Gets the capacity of the current buffer (for tests of bounded memory).</summary>
    public int BufferCapacity => _buffer.Length;

    /// <summary>Returns the free space to receive into, compacting or growing the buffer as needed.</summary>
    public Memory<byte> GetReceiveBuffer()
    {
        if (_start == _end)
        {
            _start = _end = 0;
            if (_buffer.Length > InitialBufferSize * 4)
            {
                // A large message has gone: give its buffer back rather than hold it while idle.
                ReleaseBuffer(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                _pooled = true;
            }
        }
        else if (_buffer.Length - _end < MinimumReadSize)
        {
            var used = _end - _start;
            if (_start > 0 && _buffer.Length - used >= MinimumReadSize && used < _buffer.Length / 2)
            {
                _buffer.AsSpan(_start, used).CopyTo(_buffer);
            }
            else
            {
                var largest = (long)_maxMessageBytes + MinimumReadSize * 2;
                var size = (int)Math.Min((long)_buffer.Length * 2, largest);
                size = Math.Max(size, used + MinimumReadSize);

                // Doubling to the limit would allocate about twice the limit on the way (every step plus the last); and the
                // pool rounds a size up to a power of two, which for the last step (the limit plus room to read) would double
                // what a server can make the client hold. So the buffer doubles in the pool up to an eighth of the limit,
                // then takes the limit plus room to read in one exact step outside the pool: refusing an oversized message
                // allocates about 1.25 times the limit (measured: 21.2 MB for a 20 MiB reply against the 16 MiB default, 33.6 MB before), holding at most the
                // limit plus 2 KiB.
                var exact = (long)_buffer.Length * 2 > _maxMessageBytes / 8;
                if (exact)
                {
                    size = (int)Math.Max(largest, used + MinimumReadSize);
                }

                var bigger = exact ? GC.AllocateUninitializedArray<byte>(size) : ArrayPool<byte>.Shared.Rent(size);
                _buffer.AsSpan(_start, used).CopyTo(bigger);
                ReleaseBuffer(_buffer);
                _buffer = bigger;
                _pooled = !exact;
            }

            _start = 0;
            _end = used;
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Records that <paramref name="count"/> bytes were received into the buffer from <see cref="GetReceiveBuffer"/>.</summary>
    public void Advance(int count) => _end += count;

    /// <summary>Returns the next complete message, if one is buffered. The memory is valid until the next call to
    /// <see cref="GetReceiveBuffer"/>.</summary>
    /// <exception cref="QmpCommunicationException">The stream is not a sequence of JSON objects within the size limit.</exception>
    public bool TryReadMessage(out ReadOnlyMemory<byte> message)
    {
        message = default;
        if (!_inMessage)
        {
            _start += SkipWhitespace(_buffer.AsSpan(_start, _end - _start));
            if (_start == _end)
            {
                return false;
            }

            if (_buffer[_start] != (byte)'{')
            {
                throw ExceptionFactory.NotAnObject(_buffer[_start]);
            }

            _inMessage = true;
            _scanned = 0;
            _state = new JsonReaderState(s_readerOptions);
        }

        var reader = new Utf8JsonReader(_buffer.AsSpan(_start + _scanned, _end - _start - _scanned), isFinalBlock: false, _state);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndObject)
                {
                    var length = _scanned + (int)reader.BytesConsumed;
                    if (length > _maxMessageBytes)
                    {
                        throw ExceptionFactory.MessageTooLarge(_maxMessageBytes);
                    }

                    var span = _buffer.AsSpan(_start, length);
                    if (!Utf8.IsValid(span))
                    {
                        throw ExceptionFactory.InvalidUtf8();
                    }

                    if (span.Contains((byte)'\\') && HasLoneSurrogateEscape(span))
                    {
                        throw ExceptionFactory.LoneSurrogate();
                    }

                    message = _buffer.AsMemory(_start, length);
                    _start += length;
                    _inMessage = false;
                    return true;
                }
            }
        }
        catch (JsonException e)
        {
            throw ExceptionFactory.InvalidJson(e);
        }

        _scanned += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
        if (_end - _start > _maxMessageBytes)
        {
            throw ExceptionFactory.MessageTooLarge(_maxMessageBytes);
        }

        return false;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ReleaseBuffer(buffer);
        }
    }

    private void ReleaseBuffer(byte[] buffer)
    {
        if (_pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Finds a <c>\\uXXXX</c> escape of a surrogate that is not half of a pair. The message is valid JSON
    /// already, so a backslash occurs only in strings, and begins a well-formed escape.</summary>
    internal static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        for (var i = json.IndexOf((byte)'\\'); i >= 0 && i < json.Length - 1;)
        {
            if (json[i + 1] != (byte)'u')
            {
                i = Next(json, i + 2);
                continue;
            }

            var unit = Hex(json.Slice(i + 2, 4));
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return true;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                // The low half must follow at once, as an escape too.
                if (json.Length < i + 12 || json[i + 6] != (byte)'\\' || json[i + 7] != (byte)'u' || Hex(json.Slice(i + 8, 4)) is < 0xDC00 or > 0xDFFF)
                {
                    return true;
                }

                i = Next(json, i + 12);
                continue;
            }

            i = Next(json, i + 6);
        }

        return false;

        static int Next(ReadOnlySpan<byte> json, int from)
        {
            if (from >= json.Length)
            {
                return -1;
            }

            var next = json[from..].IndexOf((byte)'\\');
            return next < 0 ? -1 : from + next;
        }

        static int Hex(ReadOnlySpan<byte> digits)
        {
            var value = 0;
            foreach (var digit in digits)
            {
                value = (value << 4) | (digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10);
            }

            return value;
        }
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> span)
    {
        var i = 0;
        while (i < span.Length && span[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }
}
