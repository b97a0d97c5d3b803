namespace Qmp.Net.Shell.Input;

/// <summary>A line (or a one-shot command's arguments) could not be turned into a QMP command.</summary>
/// <remarks>Position and length point into the text the user typed, so the mistake can be underlined.</remarks>
internal sealed class LineParseException : Exception
{
    public LineParseException(string message, int position, int length = 1)
        : base(message)
    {
        Position = position;
        Length = Math.Max(1, length);
    }

    public LineParseException()
        : this("The line could not be parsed.", 0)
    {
    }

    public LineParseException(string message)
        : this(message, 0)
    {
    }

    public LineParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Length = 1;
    }

    /// <summary>Gets the zero-based character position of the mistake in the text.</summary>
    public int Position { get; }

    /// <summary>Gets how many characters the mistake spans (at least one).</summary>
    public int Length { get; }
}
