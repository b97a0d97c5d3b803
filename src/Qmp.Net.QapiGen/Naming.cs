using System.Text;

namespace Qmp.Net.QapiGen;

/// <summary>C# names for QAPI names.</summary>
internal static class Naming
{
    /// <summary>Names a generated type may not take: the hand-written types of Qmp.Net.Qapi, common System types (a
    /// user's <c>using System;</c> would make them ambiguous) and the members of a JsonSerializerContext.</summary>
    public static readonly IReadOnlySet<string> ReservedTypeNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "QapiCommands", "QapiEvent", "UnknownQapiEvent", "IQapiEvent", "QapiJsonContext", "QapiJson", "QapiEnumConverter",
        "QapiClientExtensions", "QapiEventExtensions", "QapiUnsupportedException", "QapiCheckOptions", "QapiSchemaCheck",
        "String", "Object", "Type", "Version", "Action", "Exception", "Attribute", "Array", "Buffer", "Random", "Guid",
        "Index", "Range", "Enum", "Delegate", "Environment", "Math", "Uri", "Void", "Task", "Timer", "Console", "Options",
        "Default", "JsonElement", "Boolean", "Int64", "Int32", "Double",
    };

    /// <summary>PascalCase: parts split at <c>-</c>, <c>_</c>, <c>.</c> and other non-alphanumerics, each part's first
    /// letter upper-cased, the rest kept; two digit groups stay apart with <c>_</c>; a leading digit gets <c>_</c>.</summary>
    public static string Pascal(string name, bool lowerFirst = false)
    {
        if (lowerFirst)
        {
            name = name.ToLowerInvariant();
        }

        var sb = new StringBuilder(name.Length);
        var upperNext = true;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upperNext = true;
                continue;
            }

            if (upperNext && sb.Length > 0 && char.IsAsciiDigit(c) && char.IsAsciiDigit(sb[^1]))
            {
                sb.Append('_');
            }

            sb.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = false;
        }

        if (sb.Length == 0 || char.IsAsciiDigit(sb[0]))
        {
            sb.Insert(0, '_');
        }

        return sb.ToString();
    }

    /// <summary>Makes <paramref name="name"/> unique in <paramref name="taken"/> by adding <paramref name="suffix"/>
    /// and then a number; adds the result to the set.</summary>
    public static string Unique(string name, ISet<string> taken, string suffix = "Value")
    {
        var candidate = name;
        if (taken.Contains(candidate))
        {
            candidate = name + suffix;
        }

        for (var i = 2; taken.Contains(candidate); i++)
        {
            candidate = name + suffix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        taken.Add(candidate);
        return candidate;
    }

    /// <summary>The C# name of a superset type: its QAPI name in PascalCase; <c>NameArguments</c> for a command's
    /// implicit arguments, <c>NameEvent</c> for an event; a type that only an older version had under a name now
    /// used for another kind keeps the version (<c>NameV7_2</c>).</summary>
    public static string TypeName(string qapiName)
    {
        if (qapiName.StartsWith(":args:", StringComparison.Ordinal))
        {
            return Pascal(qapiName[6..]) + "Arguments";
        }

        if (qapiName.StartsWith(":event:", StringComparison.Ordinal))
        {
            return Pascal(qapiName[7..], lowerFirst: true) + "Event";
        }

        var at = qapiName.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            return Pascal(qapiName[..at]) + "V" + Pascal(qapiName[(at + 1)..]).TrimStart('_');
        }

        return Pascal(qapiName);
    }
}
