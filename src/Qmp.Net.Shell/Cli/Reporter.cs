using System.Text;
using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary>Formats what went wrong for people: errors in their own colour, input mistakes with a pointer under them.</summary>
internal static class Reporter
{
    /// <summary>Formats a QEMU error answer: its class and its description.</summary>
    /// <param name="error">The error.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>One line.</returns>
    public static string QmpError(QmpErrorException error, Palette palette) =>
        palette.Paint(palette.Error, error.ErrorClass) + palette.Paint(palette.ErrorText, ": " + error.Description);

    /// <summary>Formats a plain error message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>One line, starting with "error:".</returns>
    public static string Error(string message, Palette palette) =>
        palette.Paint(palette.Error, "error:") + " " + palette.Paint(palette.ErrorText, message);

    /// <summary>Formats a mistake in a line: the message, the line, and carets under the mistake.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="text">The line.</param>
    /// <param name="position">Where the mistake starts.</param>
    /// <param name="length">How long it is.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>Three lines (no final newline).</returns>
    public static string Pointer(string message, string text, int position, int length, Palette palette)
    {
        position = Math.Clamp(position, 0, text.Length);
        length = Math.Max(1, Math.Min(length, Math.Max(1, text.Length - position)));
        var result = new StringBuilder();
        result.Append(Error(message, palette)).Append('\n');
        result.Append("  ").Append(text).Append('\n');
        result.Append("  ").Append(' ', position).Append(palette.Paint(palette.Error, new string('^', length)));
        return result.ToString();
    }

    /// <summary>Formats a parse error of a line.</summary>
    /// <param name="error">The error.</param>
    /// <param name="text">The line it happened in.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>Three lines (no final newline).</returns>
    public static string ParseError(LineParseException error, string text, Palette palette) =>
        Pointer(error.Message, text, error.Position, error.Length, palette);

    /// <summary>Describes a failure to connect or to start QEMU.</summary>
    /// <param name="target">What the shell tried to reach.</param>
    /// <param name="error">What happened.</param>
    /// <returns>A sentence.</returns>
    public static string ConnectFailure(string target, Exception error) => error switch
    {
        Qemu.QemuStartException start when start.Stderr.Length > 0 =>
            $"could not start QEMU: {start.Message}\n{start.Stderr.TrimEnd()}",
        Qemu.QemuStartException start => $"could not start QEMU: {start.Message}",
        QmpConnectionException connect => $"cannot connect to {target}: {connect.Message}",
        _ => $"cannot connect to {target}: {error.Message}",
    };
}
