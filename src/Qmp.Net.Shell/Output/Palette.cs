namespace Qmp.Net.Shell.Output;

/// <summary>The ANSI colours the shell paints with; every code is empty when colours are off.</summary>
/// <remarks>JSON results can be large (the schema is 200 KB), so they are painted with these plain escape codes rather
/// than through a renderer per token.</remarks>
internal sealed class Palette
{
    private Palette(bool enabled)
    {
        Enabled = enabled;
        string Code(string sgr) => enabled ? "\u001b[" + sgr + "m" : string.Empty;
        Reset = Code("0");
        Key = Code("36");
        String = Code("32");
        Number = Code("35");
        Literal = Code("33");
        Punctuation = Code("2");
        Error = Code("1;31");
        ErrorText = Code("31");
        EventName = Code("1;33");
        Dim = Code("2");
        Bold = Code("1");
        Prompt = Code("1;34");
        Running = Code("32");
        Paused = Code("33");
        Stopped = Code("31");
        Ok = Code("32");
    }

    /// <summary>Gets the palette without colours.</summary>
    public static Palette Plain { get; } = new(false);

    /// <summary>Gets the palette with colours.</summary>
    public static Palette Colored { get; } = new(true);

    public bool Enabled { get; }

    public string Reset { get; }

    public string Key { get; }

    public string String { get; }

    public string Number { get; }

    public string Literal { get; }

    public string Punctuation { get; }

    public string Error { get; }

    public string ErrorText { get; }

    public string EventName { get; }

    public string Dim { get; }

    public string Bold { get; }

    public string Prompt { get; }

    public string Running { get; }

    public string Paused { get; }

    public string Stopped { get; }

    public string Ok { get; }

    /// <summary>Decides whether to colour a stream: only a terminal, never under <c>NO_COLOR</c> (any non-empty value),
    /// never for <c>TERM=dumb</c>, never when the user asked for no colour.</summary>
    /// <param name="isTerminal">Whether the stream is a terminal.</param>
    /// <param name="noColorOption">Whether <c>--no-color</c> was given.</param>
    /// <param name="getEnvironment">Reads an environment variable.</param>
    /// <returns>The palette to use.</returns>
    public static Palette Choose(bool isTerminal, bool noColorOption, Func<string, string?> getEnvironment)
    {
        var noColor = !string.IsNullOrEmpty(getEnvironment("NO_COLOR"));
        var dumb = string.Equals(getEnvironment("TERM"), "dumb", StringComparison.Ordinal);
        return isTerminal && !noColorOption && !noColor && !dumb ? Colored : Plain;
    }

    /// <summary>Wraps text in a colour code and a reset (text only, when colours are off).</summary>
    /// <param name="code">One of this palette's codes.</param>
    /// <param name="text">The text.</param>
    /// <returns>The painted text.</returns>
    public string Paint(string code, string text) => code.Length == 0 ? text : code + text + Reset;
}
