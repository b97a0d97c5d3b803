namespace Qmp.Net.Introspection;

/// <summary>What is wrong with a command's arguments, as <see cref="QmpSchema.Validate(string, System.Text.Json.JsonElement?)"/> finds it.</summary>
public enum QmpSchemaErrorKind
{
    /// <summary>The server has no command of that name.</summary>
    UnknownCommand,

    /// <summary>An object holds a member its type does not have (QEMU answers "Parameter '...' is unexpected").</summary>
    UnknownMember,

    /// <summary>A mandatory member is missing.</summary>
    MissingMember,

    /// <summary>A value has the wrong JSON kind (a string where a number belongs, <c>null</c> where it is not allowed, ...).</summary>
    WrongType,

    /// <summary>A string is not one of its enumeration's values.</summary>
    UnknownEnumValue,

    /// <summary>A value fits none of an alternate's choices.</summary>
    NoMatchingBranch,
}
