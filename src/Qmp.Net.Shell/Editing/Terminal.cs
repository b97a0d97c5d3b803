using System.Text;

namespace Qmp.Net.Shell.Editing;

/// <summary>The one writer to the screen in the interactive shell. It keeps a live area at the bottom (the line being typed,
/// or progress bars) and prints everything else above it, so an event that arrives while a line is half typed appears
/// above that line and the line is drawn again, unchanged, below it.</summary>
/// <remarks>All writes go through one lock, so output from the event task, the progress display and the editor never
/// interleave. The cursor position is tracked here, never asked of the terminal (a position query would read from the
/// same input the editor reads).</remarks>
internal sealed class Terminal
{
    private readonly object _gate = new();
    private readonly TextWriter _out;
    private readonly Func<int> _width;
    private Func<int, LiveView>? _live;
    private int _rowsAboveCursor;
    private bool _drawn;

    /// <summary>Creates the terminal writer.</summary>
    /// <param name="output">The terminal's output stream.</param>
    /// <param name="width">Reads the terminal's width in columns.</param>
    public Terminal(TextWriter output, Func<int> width)
    {
        _out = output;
        _width = width;
    }

    /// <summary>Gets the terminal's width in columns (at least 20).</summary>
    public int Width => Math.Max(20, _width());

    /// <summary>Sets what the live area shows and draws it; <see langword="null"/> removes it.</summary>
    /// <param name="view">Renders the live area for a width.</param>
    public void SetLive(Func<int, LiveView>? view)
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            Clear(text);
            _live = view;
            Draw(text);
            Flush(text);
        }
    }

    /// <summary>Draws the live area again (after the line or the progress changed).</summary>
    public void Refresh()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            Clear(text);
            Draw(text);
            Flush(text);
        }
    }

    /// <summary>Ends the live area, leaving a final text in its place (e.g. the prompt and the line as submitted).</summary>
    /// <param name="final">The text to leave, without a final newline; it may be wider than the terminal.</param>
    public void Commit(string final)
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            Clear(text);
            _live = null;
            text.Append(final.Replace("\n", "\r\n", StringComparison.Ordinal)).Append("\r\n");
            Flush(text);
        }
    }

    /// <summary>Prints text above the live area (or plainly, when there is none), then draws the live area again.</summary>
    /// <param name="message">The text; a final newline is added when missing.</param>
    public void WriteAbove(string message)
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            Clear(text);
            text.Append(message.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
            if (!message.EndsWith('\n'))
            {
                text.Append("\r\n");
            }

            Draw(text);
            Flush(text);
        }
    }

    /// <summary>Clears the whole screen and draws the live area at the top.</summary>
    public void ClearScreen()
    {
        lock (_gate)
        {
            var text = new StringBuilder("\u001b[H\u001b[2J");
            _drawn = false;
            Draw(text);
            Flush(text);
        }
    }

    private void Clear(StringBuilder text)
    {
        if (!_drawn)
        {
            return;
        }

        if (_rowsAboveCursor > 0)
        {
            text.Append("\u001b[").Append(_rowsAboveCursor).Append('A');
        }

        text.Append("\r\u001b[J");
        _drawn = false;
        _rowsAboveCursor = 0;
    }

    private void Draw(StringBuilder text)
    {
        if (_live is null)
        {
            return;
        }

        var view = _live(Width);
        for (var i = 0; i < view.Lines.Count; i++)
        {
            if (i > 0)
            {
                text.Append("\r\n");
            }

            text.Append(view.Lines[i]);
        }

        text.Append('\r');
        if (view.CursorColumn > 0)
        {
            text.Append("\u001b[").Append(view.CursorColumn).Append('C');
        }

        _rowsAboveCursor = Math.Max(0, view.Lines.Count - 1);
        _drawn = true;
    }

    private void Flush(StringBuilder text)
    {
        if (text.Length == 0)
        {
            return;
        }

        _out.Write(text.ToString());
        _out.Flush();
    }
}
