using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Qmp.Net.Shell.Output;

/// <summary>Writes JSON for people (indented, coloured by token kind) or for programs (one compact line, no colour).</summary>
internal static class JsonPainter
{
    private static readonly JavaScriptEncoder s_encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Writes a value as one compact line of JSON without colours, as <c>jq</c> and scripts want it.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The JSON text.</returns>
    public static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = s_encoder, Indented = false }))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a value as compact JSON, painted.</summary>
    /// <param name="value">The value.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>The text.</returns>
    public static string CompactPainted(JsonElement value, Palette palette)
    {
        if (!palette.Enabled)
        {
            return Compact(value);
        }

        var text = new StringBuilder();
        Write(text, value, palette, indent: null, depth: 0);
        return text.ToString();
    }

    /// <summary>Writes a value indented by two spaces per level, painted.</summary>
    /// <param name="value">The value.</param>
    /// <param name="palette">The colours.</param>
    /// <returns>The text (no final newline).</returns>
    public static string Indented(JsonElement value, Palette palette)
    {
        var text = new StringBuilder();
        Write(text, value, palette, indent: "  ", depth: 0);
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonElement value, Palette palette, string? indent, int depth)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (!value.EnumerateObject().Any())
                {
                    text.Append(palette.Paint(palette.Punctuation, "{}"));
                    return;
                }

                text.Append(palette.Paint(palette.Punctuation, "{"));
                var first = true;
                foreach (var property in value.EnumerateObject())
                {
                    if (!first)
                    {
                        text.Append(palette.Paint(palette.Punctuation, ","));
                    }

                    first = false;
                    NewLine(text, indent, depth + 1);
                    text.Append(palette.Paint(palette.Key, Quote(property.Name)));
                    text.Append(palette.Paint(palette.Punctuation, ":"));
                    if (indent is not null)
                    {
                        text.Append(' ');
                    }

                    Write(text, property.Value, palette, indent, depth + 1);
                }

                NewLine(text, indent, depth);
                text.Append(palette.Paint(palette.Punctuation, "}"));
                return;
            case JsonValueKind.Array:
                if (value.GetArrayLength() == 0)
                {
                    text.Append(palette.Paint(palette.Punctuation, "[]"));
                    return;
                }

                text.Append(palette.Paint(palette.Punctuation, "["));
                var firstItem = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        text.Append(palette.Paint(palette.Punctuation, ","));
                    }

                    firstItem = false;
                    NewLine(text, indent, depth + 1);
                    Write(text, item, palette, indent, depth + 1);
                }

                NewLine(text, indent, depth);
                text.Append(palette.Paint(palette.Punctuation, "]"));
                return;
            case JsonValueKind.String:
                text.Append(palette.Paint(palette.String, Quote(value.GetString()!)));
                return;
            case JsonValueKind.Number:
                text.Append(palette.Paint(palette.Number, value.GetRawText()));
                return;
            case JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null:
                text.Append(palette.Paint(palette.Literal, value.GetRawText()));
                return;
            default:
                return;
        }
    }

    private static void NewLine(StringBuilder text, string? indent, int depth)
    {
        if (indent is null)
        {
            return;
        }

        text.Append('\n');
        for (var i = 0; i < depth; i++)
        {
            text.Append(indent);
        }
    }

    private static string Quote(string value) => "\"" + JsonEncodedText.Encode(value, s_encoder).ToString() + "\"";
}
