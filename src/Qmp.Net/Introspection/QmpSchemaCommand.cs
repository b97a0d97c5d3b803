namespace Qmp.Net.Introspection;

/// <summary>A command of the schema.</summary>
/// <param name="Name">The command name, e.g. <c>blockdev-add</c>.</param>
/// <param name="Arguments">The arguments' type (an object with no members for a command that takes none; a union for a
/// command whose arguments are one, such as <c>blockdev-add</c>).</param>
/// <param name="Returns">The type of the <c>return</c> value (an empty object for commands without data).</param>
/// <param name="AllowOob">Whether the command may run out of band (<c>exec-oob</c>).</param>
/// <param name="Features">The command's features, e.g. <c>deprecated</c> or <c>unstable</c>.</param>
public sealed record QmpSchemaCommand(string Name, QmpSchemaObjectType Arguments, QmpSchemaType Returns, bool AllowOob, IReadOnlyList<string> Features)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
