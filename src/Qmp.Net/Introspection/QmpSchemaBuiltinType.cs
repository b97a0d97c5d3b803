namespace Qmp.Net.Introspection;

/// <summary>A builtin type of the schema, e.g. <c>str</c>, <c>int</c> or <c>any</c>, described by the JSON value it takes.</summary>
public sealed class QmpSchemaBuiltinType : QmpSchemaType
{
    internal QmpSchemaBuiltinType(string name, string jsonType, IReadOnlyList<string> features)
        : base(name, features)
    {
        JsonType = jsonType;
    }

    /// <summary>Gets the JSON type a value of this type has: <c>int</c>, <c>number</c>, <c>string</c>, <c>boolean</c>,
    /// <c>null</c>, <c>object</c>, <c>array</c>, or <c>value</c> (any JSON value).</summary>
    public string JsonType { get; }
}
