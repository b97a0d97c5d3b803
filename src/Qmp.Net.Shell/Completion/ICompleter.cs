namespace Qmp.Net.Shell.Completion;

/// <summary>Offers completions for the line being typed.</summary>
internal interface ICompleter
{
    /// <summary>Finds what may complete the word at the cursor.</summary>
    /// <param name="line">The whole line.</param>
    /// <param name="cursor">Where the cursor is.</param>
    /// <returns>The candidates.</returns>
    CompletionResult Complete(string line, int cursor);
}
