namespace Qmp.Net.Shell.Input;

/// <summary>Splits a line into words at whitespace, keeping quoted text ('...' or "...") and bracketed JSON
/// (<c>{...}</c>, <c>[...]</c>, which may hold spaces) inside one word.</summary>
internal static class LineTokenizer
{
    /// <summary>Splits <paramref name="text"/> from <paramref name="offset"/> up to <paramref name="end"/>.</summary>
    /// <param name="text">The whole line.</param>
    /// <param name="offset">Where to start.</param>
    /// <param name="end">Where to stop (exclusive).</param>
    /// <param name="lenient">Return the words of an unfinished line (an open quote or bracket at the end) instead of throwing;
    /// completion uses this for the line being typed.</param>
    /// <returns>The words with their positions in <paramref name="text"/>.</returns>
    /// <exception cref="LineParseException">A quote or bracket is not closed, or a bracket is closed that was not opened.</exception>
    public static List<Token> Split(string text, int offset = 0, int? end = null, bool lenient = false)
    {
        var stop = end ?? text.Length;
        var tokens = new List<Token>();
        var i = offset;
        var brackets = new Stack<(char Open, int Position)>();
        while (i < stop)
        {
            while (i < stop && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= stop)
            {
                break;
            }

            var start = i;
            char quote = '\0';
            var quoteStart = -1;
            brackets.Clear();
            while (i < stop)
            {
                var c = text[i];
                if (quote != '\0')
                {
                    if (quote == '"' && c == '\\' && i + 1 < stop)
                    {
                        i += 2;
                        continue;
                    }

                    if (c == quote)
                    {
                        quote = '\0';
                    }

                    i++;
                    continue;
                }

                if (char.IsWhiteSpace(c) && brackets.Count == 0)
                {
                    break;
                }

                switch (c)
                {
                    case '"' or '\'':
                        quote = c;
                        quoteStart = i;
                        break;
                    case '{' or '[':
                        brackets.Push((c, i));
                        break;
                    case '}' or ']':
                        var expected = c == '}' ? '{' : '[';
                        if (brackets.Count == 0 || brackets.Peek().Open != expected)
                        {
                            if (!lenient)
                            {
                                throw new LineParseException(
                                    brackets.Count == 0 ? $"'{c}' closes nothing" : $"'{c}' does not match '{brackets.Peek().Open}'",
                                    i);
                            }
                        }
                        else
                        {
                            brackets.Pop();
                        }

                        break;
                }

                i++;
            }

            if (!lenient)
            {
                if (quote != '\0')
                {
                    throw new LineParseException($"the quote {quote} is not closed", quoteStart);
                }

                if (brackets.Count > 0)
                {
                    var (open, position) = brackets.Peek();
                    throw new LineParseException($"'{open}' is not closed", position);
                }
            }

            tokens.Add(new Token(text[start..i], start));
        }

        return tokens;
    }
}
