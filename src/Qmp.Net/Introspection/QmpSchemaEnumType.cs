namespace Qmp.Net.Introspection;

/// <summary>An enumeration of the schema: a string that must be one of <see cref="Values"/>.</summary>
public sealed class QmpSchemaEnumType : QmpSchemaType
{
    private readonly HashSet<string> _names;

    internal QmpSchemaEnumType(string name, IReadOnlyList<QmpSchemaEnumValue> values, IReadOnlyList<string> features)
        : base(name, features)
    {
        Values = values;
        _names = new HashSet<string>(values.Select(v => v.Name), StringComparer.Ordinal);
    }

    /// <summary>Gets the values, in schema order.</summary>
    public IReadOnlyList<QmpSchemaEnumValue> Values { get; }

    /// <summary>Returns whether <paramref name="value"/> is one of the enumeration's values (compared ordinally).</summary>
    /// <param name="value">The value as written on the wire.</param>
    /// <returns><see langword="true"/> when the enumeration has the value.</returns>
    public bool Contains(string value) => _names.Contains(value);
}
