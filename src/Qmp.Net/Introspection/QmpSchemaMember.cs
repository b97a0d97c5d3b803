namespace Qmp.Net.Introspection;

/// <summary>A member of an object type of the schema.</summary>
/// <param name="Name">The member's name as written on the wire, e.g. <c>node-name</c>.</param>
/// <param name="Type">The member's type.</param>
/// <param name="IsOptional">Whether the member may be left out.</param>
/// <param name="Features">The member's features, e.g. <c>deprecated</c>.</param>
public sealed record QmpSchemaMember(string Name, QmpSchemaType Type, bool IsOptional, IReadOnlyList<string> Features)
{
    /// <inheritdoc />
    public override string ToString() => IsOptional ? $"{Name}?: {Type}" : $"{Name}: {Type}";
}
