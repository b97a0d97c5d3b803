using System.Globalization;
using System.Text.RegularExpressions;

namespace Qmp.Net.Shell.Cli;

/// <summary>Reads sizes as QEMU's own command line does: a number with an optional binary suffix, B, K, M, G, T, P or E
/// (powers of 1024, any case, optionally followed by <c>iB</c> or <c>B</c>: <c>4M</c>, <c>4m</c>, <c>4MiB</c>), and a
/// decimal fraction where the result is a whole number of bytes (<c>1.5G</c>).</summary>
internal static partial class SizeSuffix
{
    /// <summary>Reads a size.</summary>
    /// <param name="text">The text as typed.</param>
    /// <param name="value">The size in bytes.</param>
    /// <returns>Whether the text is a size that fits in 64 bits.</returns>
    public static bool TryParse(string text, out ulong value)
    {
        value = 0;
        var match = Size().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var shift = match.Groups["unit"].Success
            ? char.ToUpperInvariant(match.Groups["unit"].Value[0]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                'P' => 50,
                'E' => 60,
                _ => 0,
            }
            : 0;
        if (match.Groups["whole"].Value.Length > 20
            || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        decimal bytes;
        try
        {
            bytes = number * (1UL << shift);
        }
        catch (OverflowException)
        {
            return false;
        }

        if (bytes != decimal.Truncate(bytes) || bytes > ulong.MaxValue)
        {
            return false;
        }

        value = (ulong)bytes;
        return true;
    }

    [GeneratedRegex(@"^(?<number>(?<whole>[0-9]+)(\.[0-9]+)?)(?<unit>[bkmgtpe])?(i?b)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Size();
}
