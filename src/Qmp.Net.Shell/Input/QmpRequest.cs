using System.Text.Json.Nodes;

namespace Qmp.Net.Shell.Input;

/// <summary>A command ready to send, parsed from a line, with where each argument was typed.</summary>
/// <param name="Command">The QMP command name.</param>
/// <param name="Arguments">The arguments object, or <see langword="null"/> when none were given.</param>
/// <param name="Oob">Whether to send it out-of-band (<c>exec-oob</c> in a raw JSON line).</param>
/// <param name="Text">The text the request was parsed from (for pointing at mistakes).</param>
/// <param name="CommandSpan">Where the command name is in <paramref name="Text"/>: start and length.</param>
/// <param name="Spans">Where each argument was typed, by member path ("file.driver", "actions[1].data.device").</param>
internal sealed record QmpRequest(
    string Command,
    JsonObject? Arguments,
    bool Oob,
    string Text,
    (int Start, int Length) CommandSpan,
    IReadOnlyDictionary<string, ArgumentSpan> Spans)
{
    /// <summary>Finds where a member path was typed: the path itself, else its closest typed parent, else the command.</summary>
    /// <param name="path">A dotted member path as the schema reports it.</param>
    /// <param name="pointAtValue">Point at the value rather than the key.</param>
    /// <returns>Start and length in <see cref="Text"/>.</returns>
    public (int Start, int Length) Locate(string path, bool pointAtValue)
    {
        var probe = path;
        while (probe.Length > 0)
        {
            if (Spans.TryGetValue(probe, out var span))
            {
                return pointAtValue && span.ValueLength > 0 && probe == path
                    ? (span.ValueStart, span.ValueLength)
                    : (span.KeyStart, span.KeyLength);
            }

            var cut = Math.Max(probe.LastIndexOf('.'), probe.LastIndexOf('['));
            probe = cut < 0 ? string.Empty : probe[..cut];
        }

        return CommandSpan;
    }
}
