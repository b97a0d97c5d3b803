namespace Qmp.Net.Shell.Editing;

/// <summary>What a key press did to the line being edited.</summary>
internal enum EditorResult
{
    /// <summary>The line changed or the cursor moved (or nothing happened): draw it again.</summary>
    Continue,

    /// <summary>Enter: the line is done.</summary>
    Submit,

    /// <summary>Ctrl+D on an empty line: the user wants to leave.</summary>
    EndOfInput,

    /// <summary>Ctrl+C: the line was dropped.</summary>
    Interrupted,

    /// <summary>Ctrl+L: clear the screen.</summary>
    ClearScreen,

    /// <summary>Tab found several candidates: show <see cref="LineEditor.Candidates"/>.</summary>
    ShowCandidates,
}
