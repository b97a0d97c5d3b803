using System.Text;
using System.Text.RegularExpressions;

namespace Qmp.Net.QapiGen;

/// <summary>The only facts taken from a QAPI doc comment: which symbol it documents and the QEMU version ("since") of
/// the symbol and of each member. No text of the comment is kept.</summary>
/// <param name="Symbol">The documented symbol, or <see langword="null"/> for a section heading.</param>
/// <param name="Since">The symbol's version, e.g. <c>7.2</c>.</param>
/// <param name="MemberSince">The version of each member or enum value that names one.</param>
internal sealed partial record DocFacts(string? Symbol, string? Since, IReadOnlyDictionary<string, string> MemberSince)
{
    /// <summary>Reads the facts of one doc comment block.</summary>
    public static DocFacts Parse(IReadOnlyList<string> lines)
    {
        string? symbol = null;
        string? since = null;
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var text = new StringBuilder();
        var inFeatures = false;

        void Flush()
        {
            if (current is not null && SinceInText().Match(text.ToString()) is { Success: true } m)
            {
                members.TryAdd(current, m.Groups[1].Value);
            }

            current = null;
            text.Clear();
        }

        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (symbol is null && since is null && members.Count == 0 && current is null && SymbolLine().Match(line) is { Success: true } s)
            {
                symbol = s.Groups[1].Value;
                continue;
            }

            if (MemberLine().Match(line) is { Success: true } mem)
            {
                Flush();
                if (!inFeatures)
                {
                    current = mem.Groups[1].Value;
                    text.Append(line, mem.Length, line.Length - mem.Length);
                }

                continue;
            }

            if (SectionLine().Match(line) is { Success: true } sec)
            {
                Flush();
                var name = sec.Groups[1].Value;
                inFeatures = name == "Features";
                if (name == "Since" && VersionNumber().Match(line[sec.Length..]) is { Success: true } v)
                {
                    since ??= v.Value;
                }

                continue;
            }

            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            if (current is not null)
            {
                text.Append(' ').Append(line.Trim());
            }
        }

        Flush();
        return new DocFacts(symbol, since, members);
    }

    [GeneratedRegex(@"^@([\w.-]+):\s*$")]
    private static partial Regex SymbolLine();

    [GeneratedRegex(@"^@([\w.-]+):")]
    private static partial Regex MemberLine();

    [GeneratedRegex(@"^([A-Z][A-Za-z ]*?):")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"\d+\.\d+(\.\d+)?")]
    private static partial Regex VersionNumber();

    [GeneratedRegex(@"\([Ss]ince:?\s*v?(\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex SinceInText();
}
