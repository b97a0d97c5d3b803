using System.Text;

namespace Qmp.Net.Shell.Editing;

/// <summary>The lines entered before, kept across sessions in a file (one line each, readable only by the user, since a
/// line may hold a password).</summary>
internal sealed class History
{
    /// <summary>The environment variable that names the history file (tests use it to keep their own).</summary>
    public const string FileVariable = "QMP_HISTORY_FILE";

    /// <summary>How many lines are kept.</summary>
    public const int Capacity = 1000;

    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly List<string> _entries = [];
    private readonly string? _path;

    /// <summary>Creates a history, loading the file when it exists.</summary>
    /// <param name="path">The file, or <see langword="null"/> for a history in memory only.</param>
    public History(string? path)
    {
        _path = path;
        if (path is null)
        {
            return;
        }

        try
        {
            if (File.Exists(path))
            {
                var lines = File.ReadAllLines(path, Encoding.UTF8).Where(l => l.Length > 0).ToList();
                _entries.AddRange(lines.Skip(Math.Max(0, lines.Count - Capacity)));
                if (lines.Count > 2 * Capacity)
                {
                    Rewrite();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LoadError = e.Message;
            _path = null;
        }
    }

    /// <summary>Gets the entries, oldest first.</summary>
    public IReadOnlyList<string> Entries => _entries;

    /// <summary>Gets the file, or <see langword="null"/> when the history is not kept.</summary>
    public string? Path => _path;

    /// <summary>Gets why the file could not be read or written, when it could not.</summary>
    public string? LoadError { get; private set; }

    /// <summary>Finds the history file: <c>$QMP_HISTORY_FILE</c>, else <c>$XDG_STATE_HOME/qmp-net/history</c>, else
    /// <c>~/.local/state/qmp-net/history</c>.</summary>
    /// <param name="getEnvironment">Reads an environment variable.</param>
    /// <returns>The path.</returns>
    public static string? DefaultPath(Func<string, string?> getEnvironment)
    {
        var explicitPath = getEnvironment(FileVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        var state = getEnvironment("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
        {
            var home = getEnvironment("HOME");
            if (string.IsNullOrEmpty(home))
            {
                return null;
            }

            state = System.IO.Path.Combine(home, ".local", "state");
        }

        return System.IO.Path.Combine(state, "qmp-net", "history");
    }

    /// <summary>Adds a line (not a blank one, nor a repeat of the last) and appends it to the file.</summary>
    /// <param name="line">The line.</param>
    public void Add(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || line.Contains('\n', StringComparison.Ordinal) || (_entries.Count > 0 && _entries[^1] == line))
        {
            return;
        }

        _entries.Add(line);
        if (_entries.Count > Capacity)
        {
            _entries.RemoveAt(0);
        }

        if (_path is null)
        {
            return;
        }

        try
        {
            EnsureFile();
            File.AppendAllText(_path, line + "\n", s_utf8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LoadError = e.Message;
        }
    }

    /// <summary>Searches backwards for an entry containing the text.</summary>
    /// <param name="text">The text to find.</param>
    /// <param name="before">Search entries before this index.</param>
    /// <returns>The index of the match, or -1.</returns>
    public int SearchBackward(string text, int before)
    {
        for (var i = Math.Min(before, _entries.Count) - 1; i >= 0; i--)
        {
            if (_entries[i].Contains(text, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private void EnsureFile()
    {
        var directory = System.IO.Path.GetDirectoryName(_path!);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (!File.Exists(_path))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var created = new FileStream(_path!, options);
        }
    }

    private void Rewrite()
    {
        var temporary = _path + ".tmp";
        File.WriteAllLines(temporary, _entries, s_utf8);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temporary, _path!, overwrite: true);
    }
}
