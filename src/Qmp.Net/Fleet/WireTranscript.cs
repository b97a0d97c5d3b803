using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Qmp.Net.Fleet;

/// <summary>One VM's wire transcript: a logger factory the fleet gives to that VM's client. It keeps only the library's
/// wire messages (<see cref="QmpEventId.WireSent"/>, <see cref="QmpEventId.WireReceived"/>, Trace), already masked by the
/// library, and writes each as a JSON line (<c>time</c>, <c>dir</c>, <c>msg</c>) to <c>NAME.jsonl</c>. When the file
/// passes half the bound it becomes <c>NAME.jsonl.1</c> (the older half is deleted), so the two never hold more than the
/// bound. Every other log call goes to the user's logger factory, if there is one.</summary>
internal sealed class WireTranscript : ILoggerFactory, ILogger
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly object _gate = new();
    private readonly string _path;
    private readonly long _halfBound;
    private readonly TimeProvider _clock;
    private readonly ILoggerFactory? _inner;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private FileStream? _file;
    private bool _closed;

    /// <summary>Initializes a new instance of the <see cref="WireTranscript"/> class.</summary>
    /// <param name="path">The transcript file.</param>
    /// <param name="maxBytes">The bound of the file and its older half together.</param>
    /// <param name="clock">The clock of the line times.</param>
    /// <param name="inner">The user's logger factory, or <see langword="null"/>.</param>
    public WireTranscript(string path, long maxBytes, TimeProvider clock, ILoggerFactory? inner)
    {
        _path = path;
        _halfBound = maxBytes / 2;
        _clock = clock;
        _inner = inner;
    }

    /// <summary>Gets the transcript file's path.</summary>
    public string Path => _path;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) =>
        _inner is null ? this : new Tee(this, _inner.CreateLogger(categoryName));

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <summary>Closes the file; later messages are not written.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _file?.Dispose();
            _file = null;
        }
    }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    /// <remarks>Debug too: the library looks at Debug before it looks at Trace for sent messages.</remarks>
    public bool IsEnabled(LogLevel logLevel) => logLevel <= LogLevel.Debug;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var direction = eventId.Id switch
        {
            QmpEventId.WireSent => "sent",
            QmpEventId.WireReceived => "received",
            _ => null,
        };
        if (direction is null || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            return;
        }

        string? json = null;
        foreach (var value in values)
        {
            if (value.Key == "Json")
            {
                json = value.Value as string;
            }
        }

        if (json is not null)
        {
            Write(direction, json);
        }
    }

    private void Write(string direction, string json)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            // The file may fail (a full disk, a removed directory): the library's read and write paths must not see that.
            try
            {
                _buffer.ResetWrittenCount();
                Format(direction, json, truncated: false);
                if (_buffer.WrittenCount > _halfBound)
                {
                    // One message larger than half the bound (a schema): its size is kept, not its text.
                    _buffer.ResetWrittenCount();
                    Format(direction, json, truncated: true);
                }

                _file ??= Open(FileMode.Append);
                if (_file.Length + _buffer.WrittenCount > _halfBound && _file.Length > 0)
                {
                    _file.Dispose();
                    File.Move(_path, _path + ".1", overwrite: true);
                    _file = Open(FileMode.Create);
                }

                _file.Write(_buffer.WrittenSpan);
                _file.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _file?.Dispose();
                _file = null;
            }
        }
    }

    private FileStream Open(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(_path, options);
    }

    private void Format(string direction, string json, bool truncated)
    {
        using (var writer = new Utf8JsonWriter(_buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("time", _clock.GetUtcNow());
            writer.WriteString("dir", direction);
            if (truncated)
            {
                writer.WriteNumber("truncatedBytes", Encoding.UTF8.GetByteCount(json));
            }
            else
            {
                writer.WritePropertyName("msg");
                try
                {
                    writer.WriteRawValue(json);
                }
                catch (JsonException)
                {
                    writer.WriteStringValue(json);
                }
            }

            writer.WriteEndObject();
        }

        _buffer.Write("\n"u8);
    }

    /// <summary>The transcript and the user's logger, side by side.</summary>
    private sealed class Tee(WireTranscript transcript, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => transcript.IsEnabled(logLevel) || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            transcript.Log(logLevel, eventId, state, exception, formatter);
            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
