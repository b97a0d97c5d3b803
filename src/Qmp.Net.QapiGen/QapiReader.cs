using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>One top-level QAPI expression with the doc comment block that precedes it.</summary>
/// <param name="Expression">The expression as JSON.</param>
/// <param name="Doc">The doc comment lines (without their leading <c>#</c>), or <see langword="null"/>.</param>
/// <param name="File">The file the expression comes from.</param>
/// <param name="Line">The expression's first line.</param>
internal sealed record QapiExpression(JsonObject Expression, IReadOnlyList<string>? Doc, string File, int Line);

/// <summary>Reads QAPI's source syntax: JSON with single-quoted strings and <c>#</c> comments, where a comment block
/// opened and closed by a line <c>##</c> is a doc comment.</summary>
internal sealed class QapiReader
{
    private readonly string _text;
    private readonly string _file;
    private int _pos;
    private int _line = 1;
    private List<string>? _doc;
    private List<string>? _openDoc;

    private QapiReader(string text, string file)
    {
        _text = text;
        _file = file;
    }

    /// <summary>Reads every top-level expression of one file.</summary>
    public static List<QapiExpression> ReadFile(string text, string file)
    {
        var reader = new QapiReader(text, file);
        var result = new List<QapiExpression>();
        while (true)
        {
            reader.SkipSpace();
            if (reader._pos >= reader._text.Length)
            {
                return result;
            }

            var line = reader._line;
            var doc = reader._doc;
            reader._doc = null;
            var value = reader.ReadValue();
            if (value is not JsonObject obj)
            {
                throw reader.Error("a top-level expression must be an object");
            }

            result.Add(new QapiExpression(obj, doc, file, line));
        }
    }

    private Exception Error(string message) => new FormatException($"{_file}:{_line}: {message}");

    private void SkipSpace()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                _line++;
                _pos++;
            }
            else if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (c == '#')
            {
                ReadComment();
            }
            else
            {
                return;
            }
        }
    }

    private void ReadComment()
    {
        var atLineStart = _pos == 0 || _text[_pos - 1] == '\n';
        var end = _text.IndexOf('\n', _pos);
        if (end < 0)
        {
            end = _text.Length;
        }

        var content = _text[(_pos + 1)..end].TrimEnd('\r');
        _pos = end;
        if (!atLineStart)
        {
            return;
        }

        if (content == "#")
        {
            if (_openDoc is null)
            {
                _openDoc = [];
            }
            else
            {
                _doc = _openDoc;
                _openDoc = null;
            }
        }
        else
        {
            _openDoc?.Add(content.StartsWith(' ') ? content[1..] : content);
        }
    }

    private JsonNode? ReadValue()
    {
        SkipSpace();
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of file");
        }

        var c = _text[_pos];
        switch (c)
        {
            case '{':
                return ReadObject();
            case '[':
                return ReadArray();
            case '\'':
                return JsonValue.Create(ReadString());
            default:
                if (Match("true"))
                {
                    return JsonValue.Create(true);
                }

                if (Match("false"))
                {
                    return JsonValue.Create(false);
                }

                throw Error($"unexpected character '{c}'");
        }
    }

    private bool Match(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
        {
            return false;
        }

        _pos += word.Length;
        return true;
    }

    private string ReadString()
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Error("unterminated string");
            }

            var c = _text[_pos++];
            if (c == '\'')
            {
                return sb.ToString();
            }

            if (c == '\\' && _pos < _text.Length)
            {
                c = _text[_pos++];
            }

            sb.Append(c);
        }
    }

    private JsonObject ReadObject()
    {
        _pos++;
        var obj = new JsonObject();
        SkipSpace();
        if (Peek() == '}')
        {
            _pos++;
            return obj;
        }

        while (true)
        {
            SkipSpace();
            if (Peek() != '\'')
            {
                throw Error("expected a key string");
            }

            var key = ReadString();
            SkipSpace();
            Expect(':');
            if (obj.ContainsKey(key))
            {
                throw Error($"duplicate key '{key}'");
            }

            obj[key] = ReadValue();
            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }

            Expect('}');
            return obj;
        }
    }

    private JsonArray ReadArray()
    {
        _pos++;
        var array = new JsonArray();
        SkipSpace();
        if (Peek() == ']')
        {
            _pos++;
            return array;
        }

        while (true)
        {
            array.Add(ReadValue());
            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }

            Expect(']');
            return array;
        }
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"expected '{c}'"));
        }

        _pos++;
    }
}
