namespace Qmp.Net.Introspection;

/// <summary>An alternate of the schema: a value that may take one of several types, told apart by their JSON kind
/// (QAPI guarantees that no two choices share one).</summary>
public sealed class QmpSchemaAlternateType : QmpSchemaType
{
    private readonly List<QmpSchemaType> _choices = [];

    internal QmpSchemaAlternateType(string name, IReadOnlyList<string> features)
        : base(name, features)
    {
    }

    /// <summary>Gets the types a value may take.</summary>
    public IReadOnlyList<QmpSchemaType> Choices => _choices;

    internal void AddChoice(QmpSchemaType type) => _choices.Add(type);
}
