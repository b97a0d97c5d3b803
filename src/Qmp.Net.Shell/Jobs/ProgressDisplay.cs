using System.Globalization;
using System.Threading.Channels;
using Qmp.Net.Shell.Editing;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Jobs;

/// <summary>Shows live progress bars in the terminal's live area until everything shown has settled or the user presses a
/// key (the key is kept for the next line); events keep printing above the bars.</summary>
internal sealed class ProgressDisplay
{
    /// <summary>How often progress is polled when no event says it changed.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly Terminal _terminal;
    private readonly Palette _palette;
    private readonly ChannelReader<ConsoleKeyInfo>? _keys;
    private readonly TimeProvider _time;

    public ProgressDisplay(Terminal terminal, Palette palette, ChannelReader<ConsoleKeyInfo>? keys, TimeProvider? time = null)
    {
        _terminal = terminal;
        _palette = palette;
        _keys = keys;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Gets how many times the sources were polled (for tests).</summary>
    public int Polls { get; private set; }

    /// <summary>Shows the sources until they settle, a key is pressed, or the wait is cancelled.</summary>
    /// <param name="sources">What to show.</param>
    /// <param name="cancellationToken">Stops showing.</param>
    /// <returns>The last snapshots shown.</returns>
    public async Task<IReadOnlyList<ProgressSnapshot>> RunAsync(IReadOnlyList<IProgressSource> sources, CancellationToken cancellationToken)
    {
        var snapshots = await PollAllAsync(sources, cancellationToken).ConfigureAwait(false);
        var movedOn = false;
        _terminal.SetLive(width => new LiveView(snapshots.Select(s => Line(s, width, _palette)).ToList(), 0));
        try
        {
            while (!snapshots.All(s => s.Finished))
            {
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var waits = new List<Task> { Task.Delay(PollInterval, _time, wake.Token) };
                waits.AddRange(sources.Select(s => s.Changed));
                if (_keys is not null)
                {
                    waits.Add(_keys.WaitToReadAsync(wake.Token).AsTask());
                }

                await Task.WhenAny(waits).ConfigureAwait(false);
                await wake.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (_keys is not null && _keys.TryPeek(out _))
                {
                    movedOn = true;
                    break;
                }

                snapshots = await PollAllAsync(sources, cancellationToken).ConfigureAwait(false);
                _terminal.Refresh();
            }
        }
        catch (Exception e) when (e is QmpException or OperationCanceledException)
        {
            movedOn = true;
        }

        var width = _terminal.Width;
        var final = string.Join('\n', snapshots.Select(s => Line(s, width, _palette) + (s.Note is { } note && s.Finished ? "\n  " + note : string.Empty)));
        if (movedOn && !snapshots.All(s => s.Finished))
        {
            final += "\n" + _palette.Paint(_palette.Dim, "  (still going on; 'jobs' shows it)");
        }

        _terminal.Commit(final);
        return snapshots;
    }

    /// <summary>One progress line: label, kind, status, bar, percentage, amounts.</summary>
    /// <param name="snapshot">What to show.</param>
    /// <param name="width">The terminal width.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>The painted line, narrower than <paramref name="width"/>.</returns>
    public static string Line(ProgressSnapshot snapshot, int width, Palette palette)
    {
        var percent = (int)Math.Floor(snapshot.Fraction * 100);
        var head = $"{Fit(snapshot.Label, 16),-16} {Fit(snapshot.Kind, 8),-8} {Fit(snapshot.Status, 10),-10} ";
        var tail = string.Create(CultureInfo.InvariantCulture, $" {percent,3}%  {Amount(snapshot.Current, snapshot.Total)}");
        var barWidth = Math.Clamp(width - head.Length - tail.Length - 3, 5, 40);
        var filled = (int)Math.Round(snapshot.Fraction * barWidth);
        var color = snapshot.Status is "concluded" or "ready" or "completed" or "gone" ? palette.Ok : snapshot.Note?.StartsWith("failed", StringComparison.Ordinal) == true ? palette.Error : palette.Prompt;
        var bar = "[" + palette.Paint(color, new string('#', filled)) + new string('.', barWidth - filled) + "]";
        var line = head + bar + tail;
        var visible = head.Length + barWidth + 2 + tail.Length;
        return visible < width ? line : (head + bar + tail[..Math.Max(0, tail.Length - (visible - width + 1))]);
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";

    private static string Amount(long current, long total)
    {
        if (total <= 0)
        {
            return string.Empty;
        }

        const double MiB = 1024 * 1024;
        return total >= MiB
            ? string.Create(CultureInfo.InvariantCulture, $"{current / MiB:0.0}/{total / MiB:0.0} MiB")
            : string.Create(CultureInfo.InvariantCulture, $"{current}/{total}");
    }

    private async Task<List<ProgressSnapshot>> PollAllAsync(IReadOnlyList<IProgressSource> sources, CancellationToken cancellationToken)
    {
        Polls++;
        var snapshots = new List<ProgressSnapshot>(sources.Count);
        foreach (var source in sources)
        {
            snapshots.Add(await source.PollAsync(cancellationToken).ConfigureAwait(false));
        }

        return snapshots;
    }
}
