using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Editing;

namespace Qmp.Net.Shell.Tests.Support;

/// <summary>A terminal for in-process runs of the tool: keys the test types, a width, and a screen that records every
/// write and lets the test wait for text to appear.</summary>
internal sealed partial class FakeShellConsole : IShellConsole
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>();

    /// <summary>Gets the terminal's output (standard output of the run).</summary>
    public RecordingWriter Screen { get; } = new();

    /// <summary>Gets standard error of the run.</summary>
    public RecordingWriter Errors { get; } = new();

    /// <inheritdoc />
    public int WindowWidth { get; set; } = 100;

    /// <inheritdoc />
    public ChannelReader<ConsoleKeyInfo> ReadKeys() => _keys.Reader;

    /// <summary>Makes the streams of a run on this terminal.</summary>
    /// <param name="environment">Environment variables the run sees (nothing else).</param>
    /// <param name="stdin">Standard input (empty).</param>
    /// <param name="terminal">Whether the streams are a terminal.</param>
    /// <returns>The streams.</returns>
    public ShellIO CreateIO(IReadOnlyDictionary<string, string> environment, string stdin = "", bool terminal = true) =>
        new(new StringReader(stdin), Screen, Errors, terminal, terminal, terminal, name => environment.GetValueOrDefault(name))
        {
            Console = this,
        };

    /// <summary>Types text, one key per character (\r is Enter, \t is Tab, control characters are Ctrl+letter).</summary>
    /// <param name="text">The keys.</param>
    public void Type(string text)
    {
        foreach (var c in text)
        {
            var key = c switch
            {
                '\r' => new ConsoleKeyInfo('\r', ConsoleKey.Enter, false, false, false),
                '\t' => new ConsoleKeyInfo('\t', ConsoleKey.Tab, false, false, false),
                < ' ' => new ConsoleKeyInfo(c, ConsoleKey.A + (c - 1), false, false, true),
                _ => new ConsoleKeyInfo(c, ConsoleKey.NoName, false, false, false),
            };
            _keys.Writer.TryWrite(key);
        }
    }

    /// <summary>Closes the keyboard (the terminal went away).</summary>
    public void Close() => _keys.Writer.TryComplete();

    /// <summary>Removes ANSI escape sequences.</summary>
    /// <param name="text">Text with escapes.</param>
    /// <returns>The text.</returns>
    public static string Plain(string text) => Escape().Replace(text, string.Empty);

    [GeneratedRegex(@"\u001b\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Escape();
}

/// <summary>A thread-safe writer that records everything and wakes waiters on each write.</summary>
internal sealed class RecordingWriter : TextWriter
{
    private readonly object _gate = new();
    private readonly StringBuilder _text = new();
    private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Gets everything written so far.</summary>
    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    /// <inheritdoc />
    public override void Write(char value) => Write(value.ToString());

    /// <inheritdoc />
    public override void Write(string? value)
    {
        TaskCompletionSource written;
        lock (_gate)
        {
            _text.Append(value);
            written = _written;
            _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        written.TrySetResult();
    }

    /// <inheritdoc />
    public override void WriteLine(string? value) => Write(value + "\n");

    /// <summary>Waits until the text written so far (escapes removed) satisfies a condition.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <returns>The text at that moment (escapes removed).</returns>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            Task written;
            string text;
            lock (_gate)
            {
                written = _written.Task;
                text = FakeShellConsole.Plain(_text.ToString());
            }

            if (condition(text))
            {
                return text;
            }

            try
            {
                await written.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"waited 30 s for {what}; the screen shows:\n{text}");
            }
        }
    }

    /// <summary>Waits until the text contains a string.</summary>
    /// <param name="expected">The string.</param>
    /// <returns>The text at that moment (escapes removed).</returns>
    public Task<string> WaitForAsync(string expected) => WaitForAsync(t => t.Contains(expected, StringComparison.Ordinal), $"'{expected}'");
}
