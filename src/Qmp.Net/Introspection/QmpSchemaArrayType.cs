namespace Qmp.Net.Introspection;

/// <summary>An array type of the schema (named <c>[element]</c>, e.g. <c>[str]</c>).</summary>
public sealed class QmpSchemaArrayType : QmpSchemaType
{
    internal QmpSchemaArrayType(string name, IReadOnlyList<string> features)
        : base(name, features)
    {
    }

    /// <summary>Gets the type of the array's elements.</summary>
    public QmpSchemaType ElementType { get; internal set; } = null!;
}
