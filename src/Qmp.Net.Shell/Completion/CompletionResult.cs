namespace Qmp.Net.Shell.Completion;

/// <summary>What Tab may insert: candidates for the text between <see cref="ReplaceStart"/> and the cursor.</summary>
/// <param name="ReplaceStart">Where the text being completed starts in the line.</param>
/// <param name="Candidates">Each candidate replaces that text; a finished word ends with a space, a key with '=',
/// a nested object's key with '.'.</param>
internal sealed record CompletionResult(int ReplaceStart, IReadOnlyList<string> Candidates)
{
    /// <summary>Gets the result with nothing to offer.</summary>
    public static CompletionResult None { get; } = new(0, []);
}
