namespace Qmp.Net.Introspection;

/// <summary>An object type of the schema: a struct, the arguments of a command, the data of an event, or a union whose
/// <see cref="Tag"/> member selects one of its <see cref="Variants"/>.</summary>
public sealed class QmpSchemaObjectType : QmpSchemaType
{
    private readonly List<QmpSchemaMember> _members = [];
    private readonly List<QmpSchemaVariant> _variants = [];

    internal QmpSchemaObjectType(string name, string? tag, IReadOnlyList<string> features)
        : base(name, features)
    {
        Tag = tag;
    }

    /// <summary>Gets the members every object of this type has (for a union: its base members, the tag among them).</summary>
    public IReadOnlyList<QmpSchemaMember> Members => _members;

    /// <summary>Gets the name of the member whose value selects a branch of a union; <see langword="null"/> for a plain object.</summary>
    public string? Tag { get; }

    /// <summary>Gets the branches of a union (empty for a plain object). A tag value without a branch adds no members.</summary>
    public IReadOnlyList<QmpSchemaVariant> Variants => _variants;

    /// <summary>Returns the member with the given name among <see cref="Members"/>, or <see langword="null"/>.</summary>
    /// <param name="name">The member name (compared ordinally).</param>
    /// <returns>The member, or <see langword="null"/> when there is none.</returns>
    public QmpSchemaMember? FindMember(string name)
    {
        foreach (var member in _members)
        {
            if (string.Equals(member.Name, name, StringComparison.Ordinal))
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>Returns the branch selected by a tag value, or <see langword="null"/> when the union has none for it.</summary>
    /// <param name="tagValue">The tag member's value.</param>
    /// <returns>The branch, or <see langword="null"/>.</returns>
    public QmpSchemaVariant? FindVariant(string tagValue)
    {
        foreach (var variant in _variants)
        {
            if (string.Equals(variant.Case, tagValue, StringComparison.Ordinal))
            {
                return variant;
            }
        }

        return null;
    }

    /// <summary>Returns the members an object of this type has when its tag holds <paramref name="tagValue"/>: the base
    /// members, then those of the selected branch. Nested unions (a branch that is itself a union) are not followed:
    /// their members depend on their own tag's value.</summary>
    /// <param name="tagValue">The tag member's value; <see langword="null"/> gives the base members only.</param>
    /// <returns>The members, base members first.</returns>
    public IEnumerable<QmpSchemaMember> MembersFor(string? tagValue)
    {
        foreach (var member in _members)
        {
            yield return member;
        }

        if (tagValue is not null && FindVariant(tagValue) is { } variant)
        {
            foreach (var member in variant.Type.Members)
            {
                yield return member;
            }
        }
    }

    internal void AddMember(QmpSchemaMember member) => _members.Add(member);

    internal void AddVariant(QmpSchemaVariant variant) => _variants.Add(variant);
}
