using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Qmp.Net.Shell.Cli;

/// <summary><c>-v</c>: echoes every JSON message sent (<c>&gt;&gt;</c>) and received (<c>&lt;&lt;</c>). It is a logger factory
/// given to the client, listening only to the library's wire messages (<see cref="QmpEventId.WireSent"/>,
/// <see cref="QmpEventId.WireReceived"/>, Trace), so what it shows is exactly what the library wrote and read, with secrets
/// masked by the library as in its own logs (passwords, <c>secret</c> objects' data).</summary>
internal sealed class WireEcho : ILoggerFactory, ILogger
{
    private static readonly JsonWriterOptions s_indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly object _gate = new();
    private readonly bool _pretty;
    private Action<string> _sink;
    private int _muted;

    /// <summary>Creates the echo.</summary>
    /// <param name="output">Where the lines go (standard error).</param>
    /// <param name="pretty">Whether to indent the JSON.</param>
    public WireEcho(TextWriter output, bool pretty)
    {
        _pretty = pretty;
        _sink = line =>
        {
            output.WriteLine(line);
            output.Flush();
        };
    }

    /// <summary>Sends the lines somewhere else (the interactive shell prints them above its input line).</summary>
    /// <param name="sink">Receives each message's text.</param>
    public void Redirect(Action<string> sink)
    {
        lock (_gate)
        {
            _sink = sink;
        }
    }

    /// <summary>Stops echoing until the result is disposed (used while the schema is read: 200 KB nobody asked for).</summary>
    /// <returns>Ends the pause.</returns>
    public IDisposable Mute()
    {
        Interlocked.Increment(ref _muted);
        return new Unmute(this);
    }

    /// <summary>Formats one message for the echo.</summary>
    /// <param name="direction"><c>&gt;&gt;</c> or <c>&lt;&lt;</c>.</param>
    /// <param name="json">The JSON as the library logged it.</param>
    /// <param name="pretty">Whether to indent it.</param>
    /// <returns>The text.</returns>
    public static string Format(string direction, string json, bool pretty)
    {
        if (!pretty)
        {
            return direction + " " + json;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, s_indented))
            {
                document.RootElement.WriteTo(writer);
            }

            return direction + " " + Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (JsonException)
        {
            return direction + " " + json;
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    /// <remarks>Debug too: the library may look at Debug before it looks at Trace; only the wire messages are printed.</remarks>
    public bool IsEnabled(LogLevel logLevel) => logLevel <= LogLevel.Debug;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var direction = eventId.Id switch
        {
            QmpEventId.WireSent => ">>",
            QmpEventId.WireReceived => "<<",
            _ => null,
        };
        if (direction is null || Volatile.Read(ref _muted) > 0 || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            return;
        }

        var json = values.FirstOrDefault(v => v.Key == "Json").Value as string;
        if (json is null)
        {
            return;
        }

        var text = Format(direction, json, _pretty);
        lock (_gate)
        {
            // The sink may fail (a closed pipe); the library's read and write paths must not see that.
            try
            {
                _sink(text);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        }
    }

    private sealed class Unmute(WireEcho echo) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref echo._muted);
            }
        }
    }
}
