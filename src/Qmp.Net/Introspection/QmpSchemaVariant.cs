namespace Qmp.Net.Introspection;

/// <summary>One branch of a union: the members an object has in addition to its base members when its tag member holds
/// <see cref="Case"/>.</summary>
/// <param name="Case">The tag value that selects the branch.</param>
/// <param name="Type">The branch's own members (the union's base members are not repeated in it).</param>
public sealed record QmpSchemaVariant(string Case, QmpSchemaObjectType Type)
{
    /// <inheritdoc />
    public override string ToString() => $"{Case} -> {Type}";
}
