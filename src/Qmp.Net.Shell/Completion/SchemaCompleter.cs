using Qmp.Net.Introspection;
using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Completion;

/// <summary>Completes from the connected QEMU's own schema: command names, argument names (nested ones after a dot,
/// and the members of the union branch that the tag typed earlier in the line selects), enumeration values and
/// true/false after '=', transaction action names and their data members.</summary>
internal sealed class SchemaCompleter : ICompleter
{
    /// <summary>The shell's own commands, completed beside QEMU's.</summary>
    public static readonly IReadOnlyList<string> Builtins = ["exit", "help", "jobs", "schema"];

    private readonly QmpSchema _schema;
    private readonly List<string> _commands;
    private readonly List<string> _schemaNames;

    public SchemaCompleter(QmpSchema schema)
    {
        _schema = schema;
        _commands = schema.Commands.Keys.Order(StringComparer.Ordinal).ToList();
        _schemaNames = _commands
            .Concat(schema.Events.Keys.Order(StringComparer.Ordinal))
            .Concat(schema.Types.Keys.Where(n => !n.All(char.IsAsciiDigit) && !n.EndsWith(']')).Order(StringComparer.Ordinal))
            .ToList();
    }

    /// <inheritdoc />
    public CompletionResult Complete(string line, int cursor)
    {
        var head = line[..Math.Clamp(cursor, 0, line.Length)];
        var first = 0;
        while (first < head.Length && char.IsWhiteSpace(head[first]))
        {
            first++;
        }

        if (first < head.Length && head[first] is LineParser.HmpPrefix or '{')
        {
            return CompletionResult.None;
        }

        if (string.CompareOrdinal(head, first, LineParser.TransactionOpen, 0, LineParser.TransactionOpen.Length) == 0)
        {
            return CompleteTransaction(head, first + LineParser.TransactionOpen.Length);
        }

        var tokens = LineTokenizer.Split(head, first, lenient: true);
        var (word, start, index) = CurrentWord(head, tokens);
        if (index == 0)
        {
            return Offer(start, word, _commands.Concat(Builtins).Order(StringComparer.Ordinal).Append(LineParser.TransactionOpen), " ");
        }

        var name = tokens[0].Text;
        switch (name)
        {
            case "help" when index == 1:
                return Offer(start, word, _commands, " ");
            case "schema" when index == 1:
                return Offer(start, word, _schemaNames, " ");
        }

        if (!_schema.Commands.TryGetValue(name, out var command))
        {
            return CompletionResult.None;
        }

        return CompleteArgument(command.Arguments, word, start, Typed(tokens, index));
    }

    private CompletionResult CompleteTransaction(string head, int bodyStart)
    {
        if (_schema.Commands.TryGetValue("transaction", out var transaction) is false
            || transaction.Arguments.FindMember("actions")?.Type is not QmpSchemaArrayType { ElementType: QmpSchemaObjectType action }
            || action.Tag is null
            || action.FindMember(action.Tag) is not { } tagMember)
        {
            return CompletionResult.None;
        }

        var segmentStart = LastTopLevelComma(head, bodyStart) + 1;
        var tokens = LineTokenizer.Split(head, Math.Max(segmentStart, bodyStart), lenient: true);
        var (word, start, index) = CurrentWord(head, tokens);
        if (word.StartsWith(',') && index == 0)
        {
            word = word[1..];
            start++;
        }

        if (index == 0)
        {
            return Offer(start, word, SchemaWalk.ValuesOf(tagMember.Type), " ");
        }

        var variant = action.FindVariant(tokens[0].Text.TrimStart(','));
        if (variant is null || SchemaWalk.AsObject(variant.Type.FindMember("data")?.Type ?? variant.Type) is not { } data)
        {
            return CompletionResult.None;
        }

        return CompleteArgument(data, word, start, Typed(tokens, index));
    }

    private static CompletionResult CompleteArgument(QmpSchemaObjectType root, string word, int start, Dictionary<string, string> typed)
    {
        var equals = word.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
        {
            var key = word[..equals];
            var type = SchemaWalk.Resolve(root, key.Split('.'), typed, string.Empty);
            return type is null
                ? CompletionResult.None
                : Offer(start + equals + 1, word[(equals + 1)..], SchemaWalk.ValuesOf(type), " ");
        }

        var dot = word.LastIndexOf('.');
        var parentPath = dot < 0 ? string.Empty : word[..dot];
        var partial = word[(dot + 1)..];
        var parent = dot < 0 ? root : SchemaWalk.Resolve(root, parentPath.Split('.'), typed, string.Empty);
        if (parent is null || SchemaWalk.AsObject(parent) is not { } obj)
        {
            return CompletionResult.None;
        }

        var members = SchemaWalk.MembersOf(obj, tag => typed.TryGetValue(SchemaWalk.Join(parentPath, tag), out var v) ? v : null);
        var candidates = new List<string>();
        foreach (var member in members.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            if (!member.Name.StartsWith(partial, StringComparison.Ordinal) || typed.ContainsKey(SchemaWalk.Join(parentPath, member.Name)))
            {
                continue;
            }

            switch (member.Type)
            {
                case QmpSchemaObjectType:
                    candidates.Add(member.Name + ".");
                    break;
                case QmpSchemaAlternateType alternate when alternate.Choices.Any(c => c is QmpSchemaObjectType):
                    candidates.Add(member.Name + "=");
                    candidates.Add(member.Name + ".");
                    break;
                default:
                    candidates.Add(member.Name + "=");
                    break;
            }
        }

        return new CompletionResult(start + dot + 1, candidates);
    }

    /// <summary>The word at the cursor, where it starts, and which word of the line it is.</summary>
    private static (string Word, int Start, int Index) CurrentWord(string head, List<Token> tokens)
    {
        var atNewWord = tokens.Count == 0 || tokens[^1].End < head.Length || (head.Length > 0 && char.IsWhiteSpace(head[^1]));
        return atNewWord ? (string.Empty, head.Length, tokens.Count) : (tokens[^1].Text, tokens[^1].Start, tokens.Count - 1);
    }

    /// <summary>The key=value words typed before, by dotted key, with quotes taken off the values.</summary>
    private static Dictionary<string, string> Typed(List<Token> tokens, int currentIndex)
    {
        var typed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < tokens.Count; i++)
        {
            if (i == currentIndex)
            {
                continue;
            }

            var text = tokens[i].Text.TrimEnd(',');
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var value = text[(equals + 1)..];
            if (value.Length >= 2 && value[0] is '\'' or '"' && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            typed[text[..equals]] = value;
        }

        return typed;
    }

    private static int LastTopLevelComma(string text, int from)
    {
        var last = from - 1;
        var depth = 0;
        var quote = '\0';
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']':
                    depth = Math.Max(0, depth - 1);
                    break;
                case ',' when depth == 0:
                    last = i;
                    break;
            }
        }

        return last;
    }

    private static CompletionResult Offer(int start, string prefix, IEnumerable<string> names, string suffix) =>
        new(start, names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n.EndsWith('(') ? n : n + suffix)
            .Distinct(StringComparer.Ordinal)
            .ToList());
}
