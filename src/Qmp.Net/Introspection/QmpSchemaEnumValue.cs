namespace Qmp.Net.Introspection;

/// <summary>One value of an enumeration of the schema.</summary>
/// <param name="Name">The value as it is written on the wire.</param>
/// <param name="Features">The value's features, e.g. <c>deprecated</c>.</param>
public sealed record QmpSchemaEnumValue(string Name, IReadOnlyList<string> Features)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
