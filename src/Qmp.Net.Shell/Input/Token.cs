namespace Qmp.Net.Shell.Input;

/// <summary>One whitespace-separated word of a line, with where it starts in the line.</summary>
/// <param name="Text">The word as typed (quotes and brackets included).</param>
/// <param name="Start">The zero-based position of its first character in the line.</param>
internal readonly record struct Token(string Text, int Start)
{
    /// <summary>Gets the position just after its last character.</summary>
    public int End => Start + Text.Length;
}
