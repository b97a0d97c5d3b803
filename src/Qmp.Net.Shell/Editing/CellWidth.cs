using System.Globalization;
using System.Text;

namespace Qmp.Net.Shell.Editing;

/// <summary>How many terminal columns text takes: East Asian wide and fullwidth characters and emoji take two, combining
/// marks and format characters none, everything else one (what terminals do, after Unicode's East Asian Width property).</summary>
internal static class CellWidth
{
    // Wide and fullwidth blocks, as closed ranges of code points, sorted.
    private static readonly (int First, int Last)[] s_wide =
    [
        (0x1100, 0x115F), (0x231A, 0x231B), (0x2329, 0x232A), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3),
        (0x25FD, 0x25FE), (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
        (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4), (0x26EA, 0x26EA),
        (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD), (0x2705, 0x2705), (0x270A, 0x270B),
        (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797),
        (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x2E80, 0x303E),
        (0x3041, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA000, 0xA4CF), (0xA960, 0xA97F), (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF), (0xFE10, 0xFE19), (0xFE30, 0xFE6F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x16FE0, 0x16FE4),
        (0x17000, 0x18AFF), (0x1B000, 0x1B2FF), (0x1F004, 0x1F004), (0x1F0CF, 0x1F0CF), (0x1F18E, 0x1F18E),
        (0x1F191, 0x1F19A), (0x1F200, 0x1F251), (0x1F300, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F7E0, 0x1F7EB),
        (0x1F90C, 0x1F9FF), (0x1FA70, 0x1FAFF), (0x20000, 0x2FFFD), (0x30000, 0x3FFFD),
    ];

    /// <summary>Gets the columns one character takes: 0, 1 or 2.</summary>
    /// <param name="rune">The character.</param>
    /// <returns>Its width in columns.</returns>
    public static int Of(Rune rune)
    {
        var value = rune.Value;
        if (value < 0x300)
        {
            return value is < 0x20 or (>= 0x7F and < 0xA0) ? 0 : 1;
        }

        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format:
                return 0;
        }

        var low = 0;
        var high = s_wide.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (value < s_wide[middle].First)
            {
                high = middle - 1;
            }
            else if (value > s_wide[middle].Last)
            {
                low = middle + 1;
            }
            else
            {
                return 2;
            }
        }

        return 1;
    }

    /// <summary>Gets the columns a piece of text takes.</summary>
    /// <param name="text">The text.</param>
    /// <returns>Its width in columns.</returns>
    public static int Of(ReadOnlySpan<char> text)
    {
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            width += Of(rune);
        }

        return width;
    }
}
