using System.Runtime.ExceptionServices;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Qga;

/// <summary>The byte stream to a guest agent: writes commands, and reads replies as JSON documents, skipping the 0xFF
/// delimiter bytes the agent sends before the reply to <c>guest-sync-delimited</c>.</summary>
/// <remarks>0xFF never occurs in UTF-8 text, so it is safe to drop wherever it appears. After
/// <see cref="ExpectDelimiter"/>, everything up to the next 0xFF is dropped as well: whatever came before the agent saw
/// the resynchronisation (half a reply, a late reply, an error for the reset byte) is stale. Not thread-safe: the
/// <see cref="QgaClient"/> runs one command at a time.</remarks>
internal sealed class QgaChannel : IDisposable
{
    public const string SyncCommand = "guest-sync-delimited";
    public const byte Delimiter = 0xFF;

    private readonly IQmpTransport _transport;
    private readonly int _maxMessageBytes;
    private readonly byte[] _chunk = new byte[4096];
    private readonly Queue<JsonDocument> _ready = new();
    private MessageReader _reader;
    private bool _awaitingDelimiter;
    private ExceptionDispatchInfo? _failure;

    public QgaChannel(IQmpTransport transport, int maxMessageBytes)
    {
        _transport = transport;
        _maxMessageBytes = maxMessageBytes;
        _reader = new MessageReader(maxMessageBytes);
    }

    /// <summary>Drops everything buffered and everything that arrives up to the next 0xFF byte.</summary>
    public void ExpectDelimiter()
    {
        DropBuffered();
        _awaitingDelimiter = true;
    }

    /// <summary>Drops everything buffered, e.g. after a stream that could not be framed.</summary>
    public void DropBuffered()
    {
        _failure = null;
        while (_ready.TryDequeue(out var stale))
        {
            stale.Dispose();
        }

        _reader.Dispose();
        _reader = new MessageReader(_maxMessageBytes);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => _transport.SendAsync(bytes, cancellationToken);

    /// <summary>Returns the next message, or <see langword="null"/> when the agent closed the connection.</summary>
    /// <exception cref="QmpCommunicationException">The stream is not a sequence of JSON objects within the size limit. The
    /// messages that arrived whole before the fault are returned first.</exception>
    public async ValueTask<JsonDocument?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ready.TryDequeue(out var message))
            {
                return message;
            }

            if (_failure is { } failure)
            {
                _failure = null;
                failure.Throw();
            }

            var received = await _transport.ReceiveAsync(_chunk, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                return null;
            }

            try
            {
                Feed(_chunk.AsSpan(0, received));
            }
            catch (QmpCommunicationException e) when (_ready.Count > 0)
            {
                // A message that arrived whole is delivered before what follows it fails the stream.
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        }
    }

    public void Dispose()
    {
        DropBuffered();
        _reader.Dispose();
        _transport.Dispose();
    }

    private void Feed(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var delimiter = bytes.IndexOf(Delimiter);
            if (_awaitingDelimiter)
            {
                if (delimiter < 0)
                {
                    return;
                }

                _awaitingDelimiter = false;
                bytes = bytes[(delimiter + 1)..];
                continue;
            }

            var text = delimiter < 0 ? bytes : bytes[..delimiter];
            Append(text);
            bytes = delimiter < 0 ? default : bytes[(delimiter + 1)..];
        }
    }

    private void Append(ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty)
        {
            var target = _reader.GetReceiveBuffer().Span;
            var count = Math.Min(target.Length, text.Length);
            text[..count].CopyTo(target);
            _reader.Advance(count);
            text = text[count..];
            while (_reader.TryReadMessage(out var message))
            {
                _ready.Enqueue(JsonDocument.Parse(message, new JsonDocumentOptions { MaxDepth = MessageReader.MaxDepth }));
            }
        }
    }
}
