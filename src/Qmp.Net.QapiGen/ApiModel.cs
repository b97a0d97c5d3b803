namespace Qmp.Net.QapiGen;

/// <summary>What the templates print, decided once from a <see cref="Superset"/> by <see cref="ModelBuilder"/>: every
/// C# name, C# type, flag and doc sentence. Immutable; the templates (<see cref="Emitter"/>) only lay it out.</summary>
/// <param name="Profile">The layer (QMP or guest agent).</param>
/// <param name="Versions">The versions, oldest first.</param>
/// <param name="Types">The types (enums, structs, argument records, unions, alternates), in superset order.</param>
/// <param name="Events">The events.</param>
/// <param name="Commands">The commands.</param>
/// <param name="SentTypes">How many types a user sends (command arguments and what they reach).</param>
/// <param name="RequiredMembers">How many members are printed <c>required</c> (a branch type's members count once
/// for the type and once per union branch that holds them).</param>
internal sealed record ApiModel(
    EmitterProfile Profile,
    IReadOnlyList<string> Versions,
    IReadOnlyList<TypeModel> Types,
    IReadOnlyList<EventModel> Events,
    IReadOnlyList<CommandModel> Commands,
    int SentTypes,
    int RequiredMembers)
{
    /// <summary>Finds a type by its QAPI name (<c>:args:NAME</c> for a command's implicit arguments).</summary>
    public TypeModel Type(string qapiName) => Types.Single(t => t.QapiName == qapiName);

    /// <summary>Finds a command by its wire name.</summary>
    public CommandModel Command(string name) => Commands.Single(c => c.Name == name);

    /// <summary>Finds an event by its wire name.</summary>
    public EventModel Event(string name) => Events.Single(e => e.Name == name);
}

/// <summary>How the emitted code reads and writes a value of one type (docs/qapi.md, "How a type is read and
/// written"): a generated type through its own <c>IQapiJson</c> methods, a built-in one through a <c>QapiJson</c>
/// helper, a list through the helpers of its element type.</summary>
/// <param name="Element">The C# element type (of a list: its items).</param>
/// <param name="Reader">The method group that reads one element from a <c>JsonElement</c>.</param>
/// <param name="Writer">The method group that writes one element to a <c>Utf8JsonWriter</c>.</param>
/// <param name="IsList">Whether the value is a list of elements.</param>
/// <param name="IsValueType">Whether the element is a C# value type.</param>
/// <param name="IsGenerated">Whether the element is a generated type.</param>
internal sealed record JsonCodec(string Element, string Reader, string Writer, bool IsList, bool IsValueType, bool IsGenerated)
{
    /// <summary>The expression that reads the value from the <c>JsonElement</c> <paramref name="value"/>.</summary>
    public string Read(string value) => IsList ? $"QapiJson.ReadList({value}, {Reader})" : $"{Reader}({value})";

    /// <summary>The statement (without <c>;</c>) that writes <paramref name="value"/> to <paramref name="writer"/>.</summary>
    public string Write(string writer, string value) => IsList ? $"QapiJson.WriteList({writer}, {value}, {Writer})" : $"{Writer}({writer}, {value})";

    /// <summary>A <c>Func&lt;JsonElement, T&gt;</c> expression that reads the value.</summary>
    public string ReaderFunction => IsList ? $"static element => QapiJson.ReadList(element, {Reader})" : Reader;
}

/// <summary>When a member is written.</summary>
internal enum WriteGuard
{
    /// <summary>Always (a non-nullable number or bool).</summary>
    Always,

    /// <summary>Unless it is <see langword="null"/> (optional members are never written as null).</summary>
    NotNull,

    /// <summary>Unless it is the default enum value (a mandatory enum left unset stays unwritten, so QEMU names it).</summary>
    NotDefaultEnum,

    /// <summary>Unless it is the undefined <c>JsonElement</c> (an absent <c>any</c>; JSON null is a value).</summary>
    NotUndefined,
}

/// <summary>A generated type.</summary>
/// <param name="QapiName">The superset name (a command's implicit arguments: <c>:args:NAME</c>).</param>
/// <param name="CsName">The C# name.</param>
/// <param name="Module">The QAPI module (the newest version's): the folder of its file.</param>
/// <param name="Summary">The doc summary (escaped XML).</param>
/// <param name="Attributes">The attribute lines (<c>[Obsolete]</c>, <c>[Experimental]</c>).</param>
internal abstract record TypeModel(string QapiName, string CsName, string Module, string Summary, IReadOnlyList<string> Attributes);

/// <summary>A QAPI enum: an open value struct.</summary>
internal sealed record EnumModel(string QapiName, string CsName, string Module, string Summary, IReadOnlyList<string> Attributes, IReadOnlyList<EnumValueModel> Values)
    : TypeModel(QapiName, CsName, Module, Summary, Attributes);

/// <summary>One enum value.</summary>
/// <param name="Wire">The value as QEMU spells it.</param>
/// <param name="CsName">The C# name (of the <c>Known</c> member and the static property).</param>
/// <param name="Facts">Versions, condition, deprecation as prose (may be empty).</param>
/// <param name="Attributes">The attribute lines.</param>
internal sealed record EnumValueModel(string Wire, string CsName, string Facts, IReadOnlyList<string> Attributes);

/// <summary>A QAPI struct or a command's implicit arguments: a sealed record. <c>OpenArguments</c>: whether the
/// command takes members beyond its schema (<c>gen: false</c>), kept in a <c>Properties</c> extension-data dictionary.</summary>
internal sealed record StructModel(string QapiName, string CsName, string Module, string Summary, IReadOnlyList<string> Attributes, IReadOnlyList<MemberModel> Members, bool OpenArguments)
    : TypeModel(QapiName, CsName, Module, Summary, Attributes);

/// <summary>A QAPI union: a base record with the base <c>Members</c> (the <c>Tag</c>, the discriminator's wire name,
/// among them), one nested record per branch that has members (<c>Branches</c>), and its converter.</summary>
internal sealed record UnionModel(string QapiName, string CsName, string Module, string Summary, IReadOnlyList<string> Attributes, string Tag, IReadOnlyList<MemberModel> Members, IReadOnlyList<BranchModel> Branches)
    : TypeModel(QapiName, CsName, Module, Summary, Attributes);

/// <summary>A union branch's nested record.</summary>
/// <param name="Wire">The tag value.</param>
/// <param name="CsName">The nested record's name (<c>TagValueBranch</c>).</param>
/// <param name="Summary">The doc summary.</param>
/// <param name="Attributes">The attribute lines.</param>
/// <param name="TagProperty">The base record's tag property.</param>
/// <param name="TagValue">The C# expression of the tag value the constructor sets.</param>
/// <param name="Members">The branch type's members.</param>
/// <param name="IsUnion">Whether the branch type is itself a union (its own branches' members are kept as extension data).</param>
/// <param name="BranchTypeName">The branch type's QAPI name.</param>
internal sealed record BranchModel(string Wire, string CsName, string Summary, IReadOnlyList<string> Attributes, string TagProperty, string TagValue, IReadOnlyList<MemberModel> Members, bool IsUnion, string BranchTypeName);

/// <summary>A QAPI alternate: one nullable property per branch, chosen by the JSON token.</summary>
internal sealed record AlternateModel(string QapiName, string CsName, string Module, string Summary, IReadOnlyList<string> Attributes, IReadOnlyList<AlternativeModel> Branches, bool HasNull)
    : TypeModel(QapiName, CsName, Module, Summary, Attributes);

/// <summary>One non-null branch of an alternate.</summary>
/// <param name="Wire">The branch name.</param>
/// <param name="Property">The C# property.</param>
/// <param name="PropertyType">The property's (nullable) C# type.</param>
/// <param name="ValueType">The branch's C# type (converter and implicit conversion).</param>
/// <param name="IsArray">Whether the branch is a list (no implicit conversion).</param>
/// <param name="Tokens">The JSON tokens that select it.</param>
/// <param name="Summary">The doc summary.</param>
/// <param name="Codec">How the branch's value is read and written.</param>
internal sealed record AlternativeModel(string Wire, string Property, string PropertyType, string ValueType, bool IsArray, IReadOnlyList<string> Tokens, string Summary, JsonCodec Codec);

/// <summary>A member of a record, as printed in one place (a branch's members take the scope of their union).</summary>
/// <param name="Wire">The JSON name.</param>
/// <param name="Property">The C# property.</param>
/// <param name="Type">The property's C# type.</param>
/// <param name="Summary">The doc summary.</param>
/// <param name="Attributes">The attribute lines before <c>[JsonPropertyName]</c>.</param>
/// <param name="IgnoreWhenDefault">Whether it is written only when not default (<c>any</c>, a mandatory enum).</param>
/// <param name="Required">Whether it is C# <c>required</c>.</param>
/// <param name="Initializer">The initializer text after the accessors (<c> = "";</c>, or empty).</param>
/// <param name="Codec">How its value is read and written.</param>
/// <param name="Read">The expression that reads it from the object <c>element</c> (absent or null: its default).</param>
/// <param name="Guard">When it is written.</param>
internal sealed record MemberModel(string Wire, string Property, string Type, string Summary, IReadOnlyList<string> Attributes, bool IgnoreWhenDefault, bool Required, string Initializer, JsonCodec Codec, string Read, WriteGuard Guard);

/// <summary>An event: a record deriving from <c>QapiEvent</c>.</summary>
internal sealed record EventModel(string Name, string CsName, string Module, string Summary, string ReferenceUrl, IReadOnlyList<string> Attributes, IReadOnlyList<MemberModel> Members, IReadOnlyList<string> Versions, string? Condition);

/// <summary>A command: one method of the commands struct, and its catalog entry.</summary>
/// <param name="Name">The wire name.</param>
/// <param name="Method">The C# method name.</param>
/// <param name="Module">The QAPI module.</param>
/// <param name="Summary">The doc summary.</param>
/// <param name="ReferenceUrl">The link to QEMU's reference.</param>
/// <param name="Attributes">The attribute lines.</param>
/// <param name="ArgumentsType">The argument record's C# name, or null.</param>
/// <param name="ArgumentsDoc">The QAPI name of the argument type for the doc (<c>implicit</c> for an implicit one).</param>
/// <param name="ArgumentsOptional">Whether every argument member is optional (the parameter defaults to null).</param>
/// <param name="ResultType">The result's C# type, or null (no reply value, or fired).</param>
/// <param name="ResultDoc">The result's QAPI type text.</param>
/// <param name="OutOfBand">Whether QEMU allows it out of band.</param>
/// <param name="Fire">Whether it is fired without waiting for a reply (guest agent, <c>success-response: false</c>).</param>
/// <param name="CatalogResultType">The C# result type the catalog records (also for a fired command), or null.</param>
/// <param name="OpenArguments">Whether it takes members beyond its schema.</param>
/// <param name="Versions">The versions that have it, oldest first.</param>
/// <param name="Condition">Its build condition, or null.</param>
/// <param name="Result">How its result is read, or null.</param>
internal sealed record CommandModel(
    string Name,
    string Method,
    string Module,
    string Summary,
    string ReferenceUrl,
    IReadOnlyList<string> Attributes,
    string? ArgumentsType,
    string? ArgumentsDoc,
    bool ArgumentsOptional,
    string? ResultType,
    string? ResultDoc,
    bool OutOfBand,
    bool Fire,
    string? CatalogResultType,
    bool OpenArguments,
    IReadOnlyList<string> Versions,
    string? Condition,
    JsonCodec? Result);
