namespace Qmp.Net.Introspection;

/// <summary>A type of a QMP server's introspected schema (an entry of <c>query-qmp-schema</c> that is not a command or an event).</summary>
/// <remarks>QEMU masks the names of its types as numbers that differ between versions; only builtin type names (<c>str</c>,
/// <c>int</c>, ...) and array names (<c>[str]</c>) are stable. Compare types by what they contain, not by <see cref="Name"/>.</remarks>
public abstract class QmpSchemaType
{
    private protected QmpSchemaType(string name, IReadOnlyList<string> features)
    {
        Name = name;
        Features = features;
    }

    /// <summary>Gets the type's name in the schema (masked as a number by QEMU for every type but builtins and arrays).</summary>
    public string Name { get; }

    /// <summary>Gets the type's features, e.g. <c>deprecated</c> or <c>unstable</c>.</summary>
    public IReadOnlyList<string> Features { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
