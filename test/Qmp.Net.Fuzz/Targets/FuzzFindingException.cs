namespace Qmp.Net.Fuzz.Targets;

/// <summary>A target found something wrong: a task left unfinished, an undocumented exception, a disagreement with the
/// reference. Never caught by a target, so AFL++ records the input as a crash.</summary>
public sealed class FuzzFindingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was found.</param>
    /// <param name="inner">The exception behind it, if any.</param>
    public FuzzFindingException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
