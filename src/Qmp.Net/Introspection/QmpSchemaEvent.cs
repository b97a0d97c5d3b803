namespace Qmp.Net.Introspection;

/// <summary>An event of the schema.</summary>
/// <param name="Name">The event name, e.g. <c>SHUTDOWN</c>.</param>
/// <param name="Data">The type of the event's <c>data</c> (an object with no members for an event without data).</param>
/// <param name="Features">The event's features, e.g. <c>deprecated</c>.</param>
public sealed record QmpSchemaEvent(string Name, QmpSchemaObjectType Data, IReadOnlyList<string> Features)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
