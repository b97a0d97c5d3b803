using System.Text;
using Qmp.Net.Shell.Completion;

namespace Qmp.Net.Shell.Editing;

/// <summary>The line being typed and what each key does to it: the editing a terminal user expects from readline
/// (arrows, Home/End, Ctrl+A/E/B/F/W/U/K/Y, Alt+B/F, history with Up/Down, Ctrl+R search, Tab completion, Ctrl+C drops
/// the line, Ctrl+D on an empty line ends the input).</summary>
/// <remarks>Pure state: it neither reads keys nor writes to the screen; <see cref="Render"/> says what to show.</remarks>
internal sealed class LineEditor
{
    private const string SearchLabel = "(reverse-i-search)";
    private const string FailedSearchLabel = "(failed reverse-i-search)";

    private readonly StringBuilder _buffer = new();
    private readonly History _history;
    private readonly ICompleter? _completer;
    private int _cursor;
    private int _scroll;
    private int _historyIndex;
    private string _draft = string.Empty;
    private string _killed = string.Empty;
    private bool _searching;
    private bool _absorbSpace;
    private bool _searchFailed;
    private string _query = string.Empty;
    private int _matchIndex;
    private string _beforeSearch = string.Empty;

    /// <summary>Creates an editor.</summary>
    /// <param name="history">The history that Up/Down and Ctrl+R walk through.</param>
    /// <param name="completer">What Tab asks, or <see langword="null"/> for no completion.</param>
    public LineEditor(History history, ICompleter? completer)
    {
        _history = history;
        _completer = completer;
        Reset();
    }

    /// <summary>Gets the line as typed so far.</summary>
    public string Text => _buffer.ToString();

    /// <summary>Gets the cursor position in the line.</summary>
    public int Cursor => _cursor;

    /// <summary>Gets whether a Ctrl+R search is under way.</summary>
    public bool Searching => _searching;

    /// <summary>Gets the candidates of the last Tab that found several.</summary>
    public IReadOnlyList<string> Candidates { get; private set; } = [];

    /// <summary>Starts a new, empty line.</summary>
    public void Reset()
    {
        _buffer.Clear();
        _cursor = 0;
        _scroll = 0;
        _historyIndex = _history.Entries.Count;
        _draft = string.Empty;
        _searching = false;
        Candidates = [];
    }

    /// <summary>Puts text into the line, as if typed at the cursor.</summary>
    /// <param name="text">The text.</param>
    public void Insert(string text)
    {
        _buffer.Insert(_cursor, text);
        _cursor += text.Length;
    }

    /// <summary>Applies one key.</summary>
    /// <param name="key">The key.</param>
    /// <returns>What happened.</returns>
    public EditorResult Handle(ConsoleKeyInfo key)
    {
        // A completion that ended in a space made that space pending: a space typed right after it is the same space.
        var absorbSpace = _absorbSpace;
        _absorbSpace = false;
        if (_searching)
        {
            var handled = HandleSearch(key, out var searchResult);
            if (handled)
            {
                return searchResult;
            }
        }

        var control = key.KeyChar is >= '\u0001' and <= '\u001a' && key.Key is not ConsoleKey.Enter and not ConsoleKey.Tab and not ConsoleKey.Backspace
            ? (char)(key.KeyChar + 'A' - 1)
            : '\0';
        var alt = (key.Modifiers & ConsoleModifiers.Alt) != 0;
        if (alt)
        {
            switch (key.Key)
            {
                case ConsoleKey.B:
                    _cursor = WordLeft();
                    return EditorResult.Continue;
                case ConsoleKey.F:
                    _cursor = WordRight();
                    return EditorResult.Continue;
                case ConsoleKey.Backspace:
                    Kill(WordLeft(), _cursor);
                    return EditorResult.Continue;
                case ConsoleKey.D:
                    Kill(_cursor, WordRight());
                    return EditorResult.Continue;
            }
        }

        switch (control)
        {
            case 'A':
                _cursor = 0;
                return EditorResult.Continue;
            case 'E':
                _cursor = _buffer.Length;
                return EditorResult.Continue;
            case 'B':
                _cursor = Previous(_cursor);
                return EditorResult.Continue;
            case 'F':
                _cursor = Next(_cursor);
                return EditorResult.Continue;
            case 'C':
                return EditorResult.Interrupted;
            case 'D':
                if (_buffer.Length == 0)
                {
                    return EditorResult.EndOfInput;
                }

                Delete(_cursor, Next(_cursor) - _cursor);
                return EditorResult.Continue;
            case 'H':
                Backspace();
                return EditorResult.Continue;
            case 'J' or 'M':
                return EditorResult.Submit;
            case 'K':
                Kill(_cursor, _buffer.Length);
                return EditorResult.Continue;
            case 'U':
                Kill(0, _cursor);
                return EditorResult.Continue;
            case 'W':
                Kill(ShellWordLeft(), _cursor);
                return EditorResult.Continue;
            case 'Y':
                Insert(_killed);
                return EditorResult.Continue;
            case 'L':
                return EditorResult.ClearScreen;
            case 'P':
                HistoryUp();
                return EditorResult.Continue;
            case 'N':
                HistoryDown();
                return EditorResult.Continue;
            case 'R':
                StartSearch();
                return EditorResult.Continue;
            case 'T':
                Transpose();
                return EditorResult.Continue;
            case 'I':
                return Complete();
        }

        var ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                return EditorResult.Submit;
            case ConsoleKey.Tab:
                return Complete();
            case ConsoleKey.Backspace:
                if (ctrl)
                {
                    Kill(WordLeft(), _cursor);
                }
                else
                {
                    Backspace();
                }

                return EditorResult.Continue;
            case ConsoleKey.Delete:
                Delete(_cursor, Next(_cursor) - _cursor);
                return EditorResult.Continue;
            case ConsoleKey.LeftArrow:
                _cursor = ctrl ? WordLeft() : Previous(_cursor);
                return EditorResult.Continue;
            case ConsoleKey.RightArrow:
                _cursor = ctrl ? WordRight() : Next(_cursor);
                return EditorResult.Continue;
            case ConsoleKey.Home:
                _cursor = 0;
                return EditorResult.Continue;
            case ConsoleKey.End:
                _cursor = _buffer.Length;
                return EditorResult.Continue;
            case ConsoleKey.UpArrow:
                HistoryUp();
                return EditorResult.Continue;
            case ConsoleKey.DownArrow:
                HistoryDown();
                return EditorResult.Continue;
            case ConsoleKey.Escape:
                return EditorResult.Continue;
        }

        if (key.KeyChar >= ' ' && key.KeyChar != '\u007f' && !alt && !(absorbSpace && key.KeyChar == ' '))
        {
            Insert(key.KeyChar.ToString());
        }

        return EditorResult.Continue;
    }

    /// <summary>Says what the live area shows: the prompt and the part of the line that fits, scrolled so the cursor is
    /// visible; or the search line during Ctrl+R.</summary>
    /// <param name="prompt">The painted prompt.</param>
    /// <param name="promptWidth">How many columns the prompt takes.</param>
    /// <param name="width">The terminal's width.</param>
    /// <returns>One row and the cursor column.</returns>
    public LiveView Render(string prompt, int promptWidth, int width)
    {
        if (_searching)
        {
            var head = $"{(_searchFailed ? FailedSearchLabel : SearchLabel)}'{_query}': ";
            var match = Text;
            var at = Math.Max(0, match.IndexOf(_query, StringComparison.Ordinal));
            var line = head + match;
            var column = head.Length + at;
            if (line.Length >= width)
            {
                var skip = Math.Max(0, column - (width - 2));
                line = line.Substring(skip, Math.Min(width - 1, line.Length - skip));
                column -= skip;
            }

            return new LiveView([line], column);
        }

        // Columns, not characters: a wide character (CJK, emoji) takes two, a combining mark none.
        var visible = Math.Max(8, width - promptWidth - 1);
        var text = Text;
        if (CellWidth.Of(text) <= visible)
        {
            _scroll = 0;
        }
        else
        {
            _scroll = Math.Min(_scroll, _cursor);
            while (CellWidth.Of(text.AsSpan(_scroll, _cursor - _scroll)) > visible)
            {
                _scroll = Next(_scroll);
            }

            // Fill the row: scroll back while the rest of the line still fits.
            while (_scroll > 0 && CellWidth.Of(text.AsSpan(Previous(_scroll))) <= visible)
            {
                _scroll = Previous(_scroll);
            }
        }

        var end = _scroll;
        while (end < text.Length && CellWidth.Of(text.AsSpan(_scroll, Next(end) - _scroll)) <= visible)
        {
            end = Next(end);
        }

        return new LiveView([prompt + text[_scroll..end]], promptWidth + CellWidth.Of(text.AsSpan(_scroll, _cursor - _scroll)));
    }

    private EditorResult Complete()
    {
        Candidates = [];
        if (_completer is null)
        {
            return EditorResult.Continue;
        }

        var result = _completer.Complete(Text, _cursor);
        if (result.Candidates.Count == 0)
        {
            return EditorResult.Continue;
        }

        var typed = Text[result.ReplaceStart.._cursor];
        var common = CommonPrefix(result.Candidates);
        if (result.Candidates.Count == 1 || common.Length > typed.Length)
        {
            var insert = result.Candidates.Count == 1 ? result.Candidates[0] : common;
            _buffer.Remove(result.ReplaceStart, _cursor - result.ReplaceStart);
            _buffer.Insert(result.ReplaceStart, insert);
            _cursor = result.ReplaceStart + insert.Length;
            if (insert.EndsWith(' ') && _cursor < _buffer.Length && _buffer[_cursor] == ' ')
            {
                _buffer.Remove(_cursor, 1);
            }

            _absorbSpace = insert.EndsWith(' ');

            return EditorResult.Continue;
        }

        Candidates = result.Candidates;
        return EditorResult.ShowCandidates;
    }

    private static string CommonPrefix(IReadOnlyList<string> candidates)
    {
        var prefix = candidates[0];
        foreach (var candidate in candidates.Skip(1))
        {
            var length = 0;
            while (length < prefix.Length && length < candidate.Length && prefix[length] == candidate[length])
            {
                length++;
            }

            prefix = prefix[..length];
        }

        return prefix;
    }

    private bool HandleSearch(ConsoleKeyInfo key, out EditorResult result)
    {
        result = EditorResult.Continue;
        var control = key.KeyChar is >= '\u0001' and <= '\u001a' ? (char)(key.KeyChar + 'A' - 1) : '\0';
        if (control == 'R')
        {
            Search(_matchIndex);
            return true;
        }

        if (control is 'G' or 'C')
        {
            _searching = false;
            SetText(_beforeSearch);
            return true;
        }

        if (key.Key == ConsoleKey.Backspace || control == 'H')
        {
            if (_query.Length > 0)
            {
                _query = _query[..^1];
                Search(_history.Entries.Count);
            }

            return true;
        }

        if (key.Key == ConsoleKey.Enter || control is 'J' or 'M')
        {
            _searching = false;
            result = EditorResult.Submit;
            return true;
        }

        if (key.Key == ConsoleKey.Escape)
        {
            _searching = false;
            return true;
        }

        if (control == '\0' && key.KeyChar >= ' ' && key.KeyChar != '\u007f' && key.Key is not ConsoleKey.Tab
            && (key.Modifiers & ConsoleModifiers.Alt) == 0)
        {
            _query += key.KeyChar;
            Search(Math.Min(_history.Entries.Count, _matchIndex + 1));
            return true;
        }

        // Any other key ends the search with the match in the line, then does what it does.
        _searching = false;
        return false;
    }

    private void StartSearch()
    {
        _searching = true;
        _searchFailed = false;
        _query = string.Empty;
        _beforeSearch = Text;
        _matchIndex = _history.Entries.Count;
    }

    private void Search(int before)
    {
        var found = _query.Length == 0 ? -1 : _history.SearchBackward(_query, before);
        _searchFailed = found < 0 && _query.Length > 0;
        if (found >= 0)
        {
            _matchIndex = found;
            SetText(_history.Entries[found]);
            _cursor = Math.Max(0, Text.IndexOf(_query, StringComparison.Ordinal));
            _historyIndex = found;
        }
    }

    private void HistoryUp()
    {
        if (_historyIndex == 0)
        {
            return;
        }

        if (_historyIndex == _history.Entries.Count)
        {
            _draft = Text;
        }

        _historyIndex--;
        SetText(_history.Entries[_historyIndex]);
    }

    private void HistoryDown()
    {
        if (_historyIndex >= _history.Entries.Count)
        {
            return;
        }

        _historyIndex++;
        SetText(_historyIndex == _history.Entries.Count ? _draft : _history.Entries[_historyIndex]);
    }

    private void SetText(string text)
    {
        _buffer.Clear().Append(text);
        _cursor = text.Length;
    }

    private void Backspace()
    {
        if (_cursor > 0)
        {
            var start = Previous(_cursor);
            Delete(start, _cursor - start);
            _cursor = start;
        }
    }

    /// <summary>The position one character before <paramref name="index"/>, a surrogate pair counting as one.</summary>
    private int Previous(int index) =>
        index <= 0 ? 0 : index >= 2 && char.IsLowSurrogate(_buffer[index - 1]) && char.IsHighSurrogate(_buffer[index - 2]) ? index - 2 : index - 1;

    /// <summary>The position one character after <paramref name="index"/>, a surrogate pair counting as one.</summary>
    private int Next(int index) =>
        index >= _buffer.Length ? _buffer.Length
        : index + 1 < _buffer.Length && char.IsHighSurrogate(_buffer[index]) && char.IsLowSurrogate(_buffer[index + 1]) ? index + 2 : index + 1;

    private void Delete(int start, int length)
    {
        if (start < _buffer.Length)
        {
            _buffer.Remove(start, Math.Min(length, _buffer.Length - start));
        }
    }

    private void Kill(int start, int end)
    {
        if (end <= start)
        {
            return;
        }

        _killed = _buffer.ToString(start, end - start);
        _buffer.Remove(start, end - start);
        _cursor = start;
    }

    private void Transpose()
    {
        if (_buffer.Length < 2 || _cursor == 0)
        {
            return;
        }

        var at = _cursor == _buffer.Length ? _cursor - 1 : _cursor;
        (_buffer[at - 1], _buffer[at]) = (_buffer[at], _buffer[at - 1]);
        _cursor = Math.Min(_buffer.Length, at + 1);
    }

    /// <summary>The start of the word before the cursor, words being runs of letters and digits (Alt+B, Ctrl+Left).</summary>
    private int WordLeft()
    {
        var i = _cursor;
        while (i > 0 && !char.IsLetterOrDigit(_buffer[i - 1]))
        {
            i--;
        }

        while (i > 0 && char.IsLetterOrDigit(_buffer[i - 1]))
        {
            i--;
        }

        return i;
    }

    private int WordRight()
    {
        var i = _cursor;
        while (i < _buffer.Length && !char.IsLetterOrDigit(_buffer[i]))
        {
            i++;
        }

        while (i < _buffer.Length && char.IsLetterOrDigit(_buffer[i]))
        {
            i++;
        }

        return i;
    }

    /// <summary>The start of the whitespace-separated word before the cursor (Ctrl+W, as in a shell).</summary>
    private int ShellWordLeft()
    {
        var i = _cursor;
        while (i > 0 && char.IsWhiteSpace(_buffer[i - 1]))
        {
            i--;
        }

        while (i > 0 && !char.IsWhiteSpace(_buffer[i - 1]))
        {
            i--;
        }

        return i;
    }
}
