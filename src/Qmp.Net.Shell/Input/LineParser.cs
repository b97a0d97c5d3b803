using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Qmp.Net.Shell.Input;

/// <summary>Turns what a user types into a QMP command, in the syntax QEMU's qmp-shell users know:
/// <c>COMMAND key=value ...</c> with JSON values and dotted keys, a raw JSON object, <c>!HMP COMMAND</c>, and
/// <c>transaction( ACTION key=value ..., ACTION ... )</c>.</summary>
internal static partial class LineParser
{
    /// <summary>The prefix that sends the rest of the line to the human monitor.</summary>
    public const char HmpPrefix = '!';

    /// <summary>The word that opens a transaction.</summary>
    public const string TransactionOpen = "transaction(";

    private static readonly JsonDocumentOptions s_jsonOptions = new() { MaxDepth = 1024 };

    /// <summary>Parses one line.</summary>
    /// <param name="line">The line as typed.</param>
    /// <returns>The command, or <see langword="null"/> for a blank line.</returns>
    /// <exception cref="LineParseException">The line is not a command; the exception points at the mistake.</exception>
    public static QmpRequest? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var first = 0;
        while (first < line.Length && char.IsWhiteSpace(line[first]))
        {
            first++;
        }

        if (first == line.Length)
        {
            return null;
        }

        if (line[first] == '{')
        {
            return ParseRawJson(line, first);
        }

        if (line[first] == HmpPrefix)
        {
            var hmp = line[(first + 1)..].Trim();
            if (hmp.Length == 0)
            {
                throw new LineParseException("'!' must be followed by a human monitor command, e.g. !info status", first);
            }

            var arguments = new JsonObject { ["command-line"] = hmp };
            return new QmpRequest("human-monitor-command", arguments, false, line, (first, 1), new Dictionary<string, ArgumentSpan>());
        }

        if (string.CompareOrdinal(line, first, TransactionOpen, 0, TransactionOpen.Length) == 0)
        {
            return ParseTransaction(line, first);
        }

        var tokens = LineTokenizer.Split(line, first);
        return ParseTokens(line, tokens);
    }

    /// <summary>Makes a human monitor command of a line, as <c>-H</c> reads every line (a leading <c>!</c> is allowed).</summary>
    /// <param name="line">The HMP command line, e.g. <c>info block</c>.</param>
    /// <returns>A <c>human-monitor-command</c>, or <see langword="null"/> for a blank line.</returns>
    /// <exception cref="LineParseException">The line is only <c>!</c>.</exception>
    public static QmpRequest? ParseHmp(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var trimmed = line.TrimStart();
        return trimmed.Length == 0 ? null : Parse(trimmed[0] == HmpPrefix ? line : HmpPrefix + line);
    }

    /// <summary>Parses a command given as separate words, as a one-shot command line delivers them (the shell has already
    /// split and unquoted them, so a word may hold spaces).</summary>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The <c>key=value</c> words.</param>
    /// <returns>The command; its <see cref="QmpRequest.Text"/> is the words joined by spaces.</returns>
    /// <exception cref="LineParseException">A word is not a valid argument.</exception>
    public static QmpRequest ParseWords(string command, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(arguments);
        if (command.StartsWith(HmpPrefix))
        {
            // qmp SOCK !info block: the shell split the HMP command line into words; join them again.
            return Parse(string.Join(' ', [command, .. arguments])) ?? throw new LineParseException("'!' must be followed by a human monitor command, e.g. !info status", 0);
        }

        var text = new StringBuilder(command);
        var tokens = new List<Token> { new(command, 0) };
        foreach (var word in arguments)
        {
            text.Append(' ');
            tokens.Add(new Token(word, text.Length));
            text.Append(word);
        }

        return ParseTokens(text.ToString(), tokens);
    }

    /// <summary>Parses one value as typed after <c>key=</c>: JSON where it is JSON (<c>true</c>, <c>3</c>, <c>[1,2]</c>,
    /// <c>{"a":1}</c>, <c>"quoted"</c>), the text between single quotes as it is, any other text as a string.</summary>
    /// <param name="value">The value text.</param>
    /// <param name="position">Where the value starts in the line, for error positions.</param>
    /// <returns>The JSON value.</returns>
    /// <exception cref="LineParseException">The value starts like JSON but is not valid JSON, or a quote is not closed.</exception>
    public static JsonNode? ParseValue(string value, int position)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return JsonValue.Create(string.Empty);
        }

        switch (value[0])
        {
            case '\'':
                if (value.Length < 2 || value[^1] != '\'')
                {
                    throw new LineParseException("the quote ' is not closed", position);
                }

                var inner = value[1..^1];
                if (inner.Contains('\'', StringComparison.Ordinal))
                {
                    throw new LineParseException("text after the closing quote '", position + inner.IndexOf('\'', StringComparison.Ordinal) + 2);
                }

                return JsonValue.Create(inner);
            case '"' or '{' or '[':
                return ParseJson(value, position);
        }

        if (value is "true" or "false" or "null" || JsonNumber().IsMatch(value))
        {
            return ParseJson(value, position);
        }

        return JsonValue.Create(value);
    }

    private static QmpRequest ParseTokens(string text, List<Token> tokens)
    {
        var name = tokens[0];
        CheckCommandName(name);
        var spans = new Dictionary<string, ArgumentSpan>(StringComparer.Ordinal);
        var arguments = tokens.Count > 1 ? new JsonObject() : null;
        for (var i = 1; i < tokens.Count; i++)
        {
            Assign(arguments!, tokens[i], string.Empty, spans);
        }

        return new QmpRequest(name.Text, arguments, false, text, (name.Start, name.Text.Length), spans);
    }

    private static void CheckCommandName(Token name)
    {
        var equals = name.Text.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
        {
            throw new LineParseException("a line starts with a command name, not key=value", name.Start, Math.Max(equals, 1));
        }

        for (var i = 0; i < name.Text.Length; i++)
        {
            if (!IsNameChar(name.Text[i]))
            {
                throw new LineParseException($"'{name.Text[i]}' cannot be part of a command name", name.Start + i);
            }
        }
    }

    /// <summary>Puts one <c>key=value</c> word into the arguments, creating the objects that a dotted key walks through.</summary>
    private static void Assign(JsonObject root, Token token, string pathPrefix, Dictionary<string, ArgumentSpan> spans)
    {
        var equals = token.Text.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            throw new LineParseException($"expected key=value, found '{token.Text}'", token.Start, token.Text.Length);
        }

        if (equals == 0)
        {
            throw new LineParseException("the key before '=' is missing", token.Start);
        }

        var key = token.Text[..equals];
        CheckKey(key, token.Start);
        var valueStart = token.Start + equals + 1;
        var valueText = token.Text[(equals + 1)..];
        var value = ParseValue(valueText, valueStart);

        var segments = key.Split('.');
        var target = root;
        var offset = 0;
        var path = pathPrefix;
        for (var s = 0; s < segments.Length - 1; s++)
        {
            var segment = segments[s];
            path = Join(path, segment);
            switch (target[segment])
            {
                case null when !target.ContainsKey(segment):
                    var created = new JsonObject();
                    target[segment] = created;
                    spans.TryAdd(path, new ArgumentSpan(token.Start, offset + segment.Length, valueStart, 0));
                    target = created;
                    break;
                case JsonObject existing:
                    target = existing;
                    break;
                default:
                    throw new LineParseException(
                        $"'{key[..(offset + segment.Length)]}' already has a value that is not an object",
                        token.Start,
                        offset + segment.Length);
            }

            offset += segment.Length + 1;
        }

        var last = segments[^1];
        path = Join(path, last);
        if (target.TryGetPropertyValue(last, out var previous))
        {
            if (previous is JsonObject into && value is JsonObject from)
            {
                Merge(into, from, key, token);
            }
            else
            {
                throw new LineParseException($"'{key}' is given twice", token.Start, key.Length);
            }
        }
        else
        {
            target[last] = value;
        }

        spans[path] = new ArgumentSpan(token.Start, key.Length, valueStart, valueText.Length);
    }

    private static void Merge(JsonObject into, JsonObject from, string key, Token token)
    {
        foreach (var name in from.Select(p => p.Key).ToList())
        {
            if (into.ContainsKey(name))
            {
                throw new LineParseException($"'{key}.{name}' is given twice", token.Start, key.Length);
            }

            var node = from[name];
            from.Remove(name);
            into[name] = node;
        }
    }

    private static void CheckKey(string key, int start)
    {
        var segmentStart = 0;
        for (var i = 0; i <= key.Length; i++)
        {
            if (i == key.Length || key[i] == '.')
            {
                if (i == segmentStart)
                {
                    throw new LineParseException($"the key '{key}' has an empty part", start + i - (i == key.Length && i > 0 ? 1 : 0));
                }

                segmentStart = i + 1;
                continue;
            }

            if (!IsNameChar(key[i]))
            {
                throw new LineParseException($"'{key[i]}' cannot be part of a key", start + i);
            }
        }
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+';

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static JsonNode? ParseJson(string text, int position)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: s_jsonOptions);
        }
        catch (JsonException e)
        {
            var at = position + CharIndex(text, e.BytePositionInLine);
            throw new LineParseException("not valid JSON: " + JsonReason(e), Math.Min(at, position + text.Length - 1));
        }
    }

    /// <summary>The reason of a JSON error without System.Text.Json's position suffix (the pointer shows where).</summary>
    private static string JsonReason(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return message.TrimEnd('.', ' ').Replace("'\"' is invalid after a value. Expected either ',', '}', or ']'", "a ',' or a closing bracket is missing", StringComparison.Ordinal);
    }

    private static int CharIndex(string text, long? bytePosition)
    {
        if (bytePosition is not long bytes || bytes <= 0)
        {
            return 0;
        }

        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            count += Encoding.UTF8.GetByteCount(text.AsSpan(i, char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1));
            if (count > bytes)
            {
                return i;
            }

            if (char.IsHighSurrogate(text[i]))
            {
                i++;
            }
        }

        return text.Length;
    }

    private static QmpRequest ParseRawJson(string line, int first)
    {
        var text = line[first..].TrimEnd();
        var node = ParseJson(text, first);
        if (node is not JsonObject message)
        {
            throw new LineParseException("a JSON line must be an object", first);
        }

        string? command = null;
        var oob = false;
        JsonObject? arguments = null;
        foreach (var (name, value) in message)
        {
            switch (name)
            {
                case "execute" or "exec-oob":
                    if (command is not null)
                    {
                        throw new LineParseException("a JSON command has either 'execute' or 'exec-oob', once", first);
                    }

                    if (value is not JsonValue v || !v.TryGetValue(out command) || command.Length == 0)
                    {
                        throw new LineParseException($"'{name}' must be a command name (a string)", first);
                    }

                    oob = name == "exec-oob";
                    break;
                case "arguments":
                    arguments = value as JsonObject ?? throw new LineParseException("'arguments' must be an object", first);
                    break;
                case "id":
                    // The client numbers commands itself; a typed id is not needed to match the answer.
                    break;
                default:
                    throw new LineParseException($"'{name}' is not a member of a QMP command (execute, exec-oob, arguments, id)", first);
            }
        }

        if (command is null)
        {
            throw new LineParseException("a JSON command needs \"execute\": \"COMMAND\"", first);
        }

        if (arguments is not null)
        {
            message.Remove("arguments");
        }

        return new QmpRequest(command, arguments, oob, line, (first, text.Length), new Dictionary<string, ArgumentSpan>());
    }

    /// <summary>Parses <c>transaction( ACTION key=value ..., ACTION key=value ... )</c> into the <c>transaction</c>
    /// command with one <c>{"type": ACTION, "data": {...}}</c> per action.</summary>
    private static QmpRequest ParseTransaction(string line, int first)
    {
        var open = first + TransactionOpen.Length;
        var close = line.LastIndexOf(')');
        if (close < open || line.AsSpan(close + 1).Trim().Length != 0)
        {
            throw new LineParseException("the transaction is not closed: end it with ')'", Math.Max(line.TrimEnd().Length - 1, first));
        }

        var tokens = LineTokenizer.Split(line, open, close);
        var actions = new JsonArray();
        var spans = new Dictionary<string, ArgumentSpan>(StringComparer.Ordinal);
        var current = new List<Token>();

        void Flush(int at)
        {
            if (current.Count == 0)
            {
                throw new LineParseException("an action is missing here", at);
            }

            var index = actions.Count;
            var name = current[0];
            CheckCommandName(name);
            var prefix = $"actions[{index}]";
            spans[prefix + ".type"] = new ArgumentSpan(name.Start, name.Text.Length, name.Start, name.Text.Length);
            var data = new JsonObject();
            for (var i = 1; i < current.Count; i++)
            {
                Assign(data, current[i], prefix + ".data", spans);
            }

            actions.Add((JsonNode)new JsonObject { ["type"] = name.Text, ["data"] = data });
            current.Clear();
        }

        foreach (var token in tokens)
        {
            var text = token.Text;
            var start = token.Start;
            while (text.StartsWith(','))
            {
                Flush(start);
                text = text[1..];
                start++;
            }

            var trailing = 0;
            while (text.EndsWith(','))
            {
                text = text[..^1];
                trailing++;
            }

            if (text.Length > 0)
            {
                current.Add(new Token(text, start));
            }

            for (var c = 0; c < trailing; c++)
            {
                Flush(start + text.Length + c);
            }
        }

        if (current.Count > 0 || actions.Count == 0)
        {
            Flush(current.Count > 0 ? current[0].Start : close);
        }

        var arguments = new JsonObject { ["actions"] = actions };
        return new QmpRequest("transaction", arguments, false, line, (first, TransactionOpen.Length - 1), spans);
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}
