using System.Text.Json;

namespace Qmp.Net.Introspection;

/// <summary>Checks a JSON value against a schema type the way QEMU's input visitor would: unknown and missing members,
/// JSON kinds, enumeration values, union branches and alternate choices.</summary>
internal sealed class QmpSchemaValidator
{
    private const int MaxListedNames = 12;

    /// <summary>Commands that take members their schema does not list: <c>device_add</c> passes every member beyond
    /// <c>driver</c>, <c>bus</c> and <c>id</c> to the device as a property, and the schema cannot say which properties a
    /// device has.</summary>
    private static readonly HashSet<string> s_openArguments = new(StringComparer.Ordinal) { "device_add" };

    private readonly List<QmpSchemaError> _errors = [];
    private bool _allowUnknownAtRoot;

    public static IReadOnlyList<QmpSchemaError> Validate(QmpSchemaCommand command, JsonElement? arguments)
    {
        var validator = new QmpSchemaValidator { _allowUnknownAtRoot = s_openArguments.Contains(command.Name) };
        if (arguments is not { ValueKind: not JsonValueKind.Undefined } value)
        {
            validator.CheckMissing(command.Arguments, string.Empty);
        }
        else if (value.ValueKind != JsonValueKind.Object)
        {
            validator.Add(string.Empty, QmpSchemaErrorKind.WrongType, $"The arguments of '{command.Name}' must be a JSON object, not {Describe(value)}.");
        }
        else
        {
            validator.CheckObject(command.Arguments, value, string.Empty);
        }

        return validator._errors.AsReadOnly();
    }

    private void CheckValue(QmpSchemaType type, JsonElement value, string path)
    {
        switch (type)
        {
            case QmpSchemaBuiltinType builtin:
                if (!Fits(builtin, value))
                {
                    Add(path, QmpSchemaErrorKind.WrongType, $"Expected {DescribeJsonType(builtin.JsonType)}, not {Describe(value)}.");
                }

                break;
            case QmpSchemaEnumType enumeration:
                if (value.ValueKind != JsonValueKind.String)
                {
                    Add(path, QmpSchemaErrorKind.WrongType, $"Expected one of {List(enumeration.Values.Select(v => v.Name))}, not {Describe(value)}.");
                }
                else if (!enumeration.Contains(value.GetString()!))
                {
                    var text = value.GetString()!;
                    Add(path, QmpSchemaErrorKind.UnknownEnumValue, $"'{text}' is not one of {List(enumeration.Values.Select(v => v.Name))}.{Suggest(text, enumeration.Values.Select(v => v.Name))}");
                }

                break;
            case QmpSchemaArrayType array:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    Add(path, QmpSchemaErrorKind.WrongType, $"Expected an array, not {Describe(value)}.");
                    break;
                }

                var i = 0;
                foreach (var element in value.EnumerateArray())
                {
                    CheckValue(array.ElementType, element, $"{path}[{i++}]");
                }

                break;
            case QmpSchemaObjectType obj:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    Add(path, QmpSchemaErrorKind.WrongType, $"Expected an object, not {Describe(value)}.");
                }
                else
                {
                    CheckObject(obj, value, path);
                }

                break;
            case QmpSchemaAlternateType alternate:
                if (Choose(alternate, value) is { } choice)
                {
                    CheckValue(choice, value, path);
                }
                else
                {
                    Add(path, QmpSchemaErrorKind.NoMatchingBranch, $"Expected {Alternatives(alternate.Choices)}, not {Describe(value)}.");
                }

                break;
        }
    }

    private void CheckObject(QmpSchemaObjectType type, JsonElement value, string path)
    {
        var members = new List<QmpSchemaMember>();
        var branchKnown = CollectMembers(type, value, members);
        foreach (var property in value.EnumerateObject())
        {
            if (!branchKnown && members.All(m => !string.Equals(m.Name, property.Name, StringComparison.Ordinal)))
            {
                // The tag names no branch (reported on the tag itself): the other members belong to a branch that could
                // not be chosen, so calling them unknown would only point away from the mistake.
                continue;
            }

            var member = members.Find(m => string.Equals(m.Name, property.Name, StringComparison.Ordinal));
            if (member is null && path.Length == 0 && _allowUnknownAtRoot)
            {
                continue;
            }

            if (member is null)
            {
                Add(Join(path, property.Name), QmpSchemaErrorKind.UnknownMember,
                    $"Unknown member '{property.Name}'; expected {(members.Count == 0 ? "no members" : List(members.Select(m => m.Name)))}.{Suggest(property.Name, members.Select(m => m.Name))}");
                continue;
            }

            CheckValue(member.Type, property.Value, Join(path, property.Name));
        }

        foreach (var member in members)
        {
            if (!member.IsOptional && !value.TryGetProperty(member.Name, out _))
            {
                Add(Join(path, member.Name), QmpSchemaErrorKind.MissingMember, $"The mandatory member '{member.Name}' ({DescribeType(member.Type)}) is missing.");
            }
        }
    }

    /// <summary>No arguments were given: each mandatory member of the arguments is missing.</summary>
    private void CheckMissing(QmpSchemaObjectType type, string path)
    {
        foreach (var member in type.Members)
        {
            if (!member.IsOptional)
            {
                Add(Join(path, member.Name), QmpSchemaErrorKind.MissingMember, $"The mandatory member '{member.Name}' ({DescribeType(member.Type)}) is missing.");
            }
        }
    }

    /// <summary>The members an object has given its tag values: the base members, then those of the selected branch,
    /// following a branch that is itself a union.</summary>
    /// <returns>False when a union's tag holds a value that selects no branch while the enumeration does not have it
    /// (a mistake reported on the tag), so the branch's members cannot be known.</returns>
    private static bool CollectMembers(QmpSchemaObjectType type, JsonElement value, List<QmpSchemaMember> members)
    {
        members.AddRange(type.Members);
        if (type.Tag is not { } tag || !value.TryGetProperty(tag, out var tagValue) || tagValue.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        if (type.FindVariant(tagValue.GetString()!) is { } variant)
        {
            return CollectMembers(variant.Type, value, members);
        }

        // A tag value without a branch is fine when the enumeration has it (a branch with no members of its own).
        return type.FindMember(tag)?.Type is not QmpSchemaEnumType tags || tags.Contains(tagValue.GetString()!);
    }

    private static QmpSchemaType? Choose(QmpSchemaAlternateType alternate, JsonElement value)
    {
        QmpSchemaType? any = null;
        foreach (var choice in alternate.Choices)
        {
            var fits = choice switch
            {
                QmpSchemaBuiltinType { JsonType: "value" } => false,
                QmpSchemaBuiltinType builtin => Fits(builtin, value),
                QmpSchemaEnumType => value.ValueKind == JsonValueKind.String,
                QmpSchemaArrayType => value.ValueKind == JsonValueKind.Array,
                QmpSchemaObjectType => value.ValueKind == JsonValueKind.Object,
                QmpSchemaAlternateType => false,
                _ => false,
            };
            if (fits)
            {
                return choice;
            }

            if (choice is QmpSchemaBuiltinType { JsonType: "value" })
            {
                any = choice;
            }
        }

        return any;
    }

    private static bool Fits(QmpSchemaBuiltinType type, JsonElement value) => type.JsonType switch
    {
        "int" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        "number" => value.ValueKind == JsonValueKind.Number,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => true,
    };

    private static bool IsInteger(JsonElement number)
    {
        var raw = number.GetRawText();
        return raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0;
    }

    private static string DescribeType(QmpSchemaType type) => type switch
    {
        QmpSchemaBuiltinType builtin => DescribeJsonType(builtin.JsonType),
        QmpSchemaEnumType => "a string of an enumeration",
        QmpSchemaArrayType array => $"an array of {DescribeType(array.ElementType)}",
        QmpSchemaObjectType => "an object",
        QmpSchemaAlternateType alternate => Alternatives(alternate.Choices),
        _ => type.Name,
    };

    private static string DescribeJsonType(string jsonType) => jsonType switch
    {
        "int" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "true or false",
        "null" => "null",
        "object" => "an object",
        "array" => "an array",
        _ => "any JSON value",
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => IsInteger(value) ? "an integer" : "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string List(IEnumerable<string> names)
    {
        var all = names.Distinct(StringComparer.Ordinal).ToList();
        var text = string.Join(", ", all.Take(MaxListedNames).Select(n => $"'{n}'"));
        return all.Count > MaxListedNames ? $"[{text}, ... {all.Count - MaxListedNames} more]" : $"[{text}]";
    }

    private static string Alternatives(IEnumerable<QmpSchemaType> choices) =>
        string.Join(" or ", choices.Select(DescribeType).Distinct(StringComparer.Ordinal));

    /// <summary>" Did you mean 'x'?" for the closest name within a small edit distance, or nothing.</summary>
    private static string Suggest(string given, IEnumerable<string> names)
    {
        string? best = null;
        var bestDistance = Math.Max(1, Math.Min(3, given.Length / 3)) + 1;
        foreach (var name in names)
        {
            var distance = EditDistance(given, name, bestDistance);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        return best is null ? string.Empty : $" Did you mean '{best}'?";
    }

    /// <summary>Levenshtein distance, stopping early once it reaches <paramref name="limit"/>.</summary>
    private static int EditDistance(string a, string b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) >= limit)
        {
            return limit;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var rowMinimum = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                rowMinimum = Math.Min(rowMinimum, current[j]);
            }

            if (rowMinimum >= limit)
            {
                return limit;
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static string Join(string path, string member) => path.Length == 0 ? member : path + "." + member;

    private void Add(string path, QmpSchemaErrorKind kind, string message) => _errors.Add(new QmpSchemaError(path, kind, message));
}
