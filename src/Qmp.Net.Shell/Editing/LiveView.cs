namespace Qmp.Net.Shell.Editing;

/// <summary>What the bottom of the screen shows: the input line, or progress bars; text printed meanwhile goes above it.</summary>
/// <param name="Lines">The rows, each narrower than the terminal and painted as they should appear.</param>
/// <param name="CursorColumn">Where the cursor stands on the last row.</param>
internal sealed record LiveView(IReadOnlyList<string> Lines, int CursorColumn);
