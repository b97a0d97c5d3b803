using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary><c>qmp ENDPOINT events</c>: prints events as JSON lines, in QEMU's own shape, until Ctrl+C, <c>--count</c>
/// events, or the connection ends.</summary>
internal static class EventsMode
{
    /// <summary>Prints events.</summary>
    /// <param name="session">The connection.</param>
    /// <param name="options">Count and names.</param>
    /// <param name="io">Where to print.</param>
    /// <param name="palette">Colours for standard output.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    /// <returns>0, or 1 when the connection closed before <c>--count</c> events came.</returns>
    public static async Task<int> RunAsync(ShellSession session, ShellOptions options, ShellIO io, Palette palette, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(options.EventNames, StringComparer.OrdinalIgnoreCase);
        var printed = 0;
        if (options.Count is 0)
        {
            return ExitCodes.Success;
        }

        try
        {
            await foreach (var @event in session.Client.Events.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (names.Count > 0 && !names.Contains(@event.Name))
                {
                    continue;
                }

                await io.Out.WriteLineAsync(Format(@event, palette)).ConfigureAwait(false);
                await io.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (++printed == options.Count)
                {
                    return ExitCodes.Success;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }

        if (options.Count is { } count)
        {
            await io.Error.WriteLineAsync($"qmp: the connection closed after {printed} of {count} events").ConfigureAwait(false);
            return ExitCodes.CommandFailed;
        }

        return ExitCodes.Success;
    }

    /// <summary>Formats an event as QEMU sends it: <c>{"event": NAME, "data": {...}, "timestamp": {"seconds", "microseconds"}}</c>,
    /// on one line.</summary>
    /// <param name="event">The event.</param>
    /// <param name="palette">Colours (plain for scripts).</param>
    /// <returns>One line of JSON.</returns>
    public static string Format(QmpEvent @event, Palette palette)
    {
        var (seconds, microseconds) = Timestamp(@event.Timestamp);
        var text = new StringBuilder();
        text.Append("{\"event\":")
            .Append(palette.Paint(palette.EventName, "\"" + JsonEncodedText.Encode(@event.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\""));
        if (@event.Data.ValueKind != JsonValueKind.Undefined)
        {
            text.Append(",\"data\":").Append(JsonPainter.CompactPainted(@event.Data, palette));
        }

        text.Append(",\"timestamp\":{\"seconds\":")
            .Append(seconds.ToString(CultureInfo.InvariantCulture))
            .Append(",\"microseconds\":")
            .Append(microseconds.ToString(CultureInfo.InvariantCulture))
            .Append("}}");
        return text.ToString();
    }

    private static (long Seconds, long Microseconds) Timestamp(DateTimeOffset timestamp)
    {
        if (timestamp == DateTimeOffset.MinValue || timestamp < DateTimeOffset.UnixEpoch)
        {
            return (-1, -1);
        }

        var ticks = (timestamp - DateTimeOffset.UnixEpoch).Ticks;
        return (ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond);
    }
}
