namespace Qmp.Net.Introspection;

/// <summary>One mistake in a command's arguments, found against the server's schema before anything is sent.</summary>
/// <param name="Path">Where the mistake is: a member path from the arguments' root, with dots between members and
/// <c>[i]</c> for array elements (<c>file.driver</c>, <c>actions[1].type</c>); empty for the arguments as a whole.</param>
/// <param name="Kind">What kind of mistake it is.</param>
/// <param name="Message">A sentence that says what is wrong and what is expected.</param>
public sealed record QmpSchemaError(string Path, QmpSchemaErrorKind Kind, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
