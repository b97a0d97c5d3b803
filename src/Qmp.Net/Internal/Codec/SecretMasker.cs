using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Qmp.Net.Internal;

/// <summary>Hides secrets in JSON text before it reaches a log: the value of every member whose name contains
/// <c>password</c> or <c>passwd</c>, and the <c>data</c> of any object whose <c>qom-type</c> starts with <c>secret</c> (how
/// QEMU receives keys and passwords through <c>object-add</c>). Used on paths that log argument values (Trace) and on
/// error descriptions, so its cost matters little; it must never throw on JSON a server or a caller may send.</summary>
/// <remarks>JSON is read as <see cref="JsonDocument"/>, which keeps a repeated member (QEMU accepts them, and so do
/// System.Text.Json's readers) — every occurrence of a secret member is masked, and an object is a secret object when any
/// of its <c>qom-type</c> members says so.</remarks>
internal static class SecretMasker
{
    public const string Mask = "***";

    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = MessageReader.MaxDepth };

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = MessageReader.MaxDepth + 1,
        SkipValidation = true,
    };

    public static string MaskJson(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), s_options);
        }
        catch (JsonException)
        {
            // Not JSON we can read: log only its length, never text that might hold a secret.
            return $"<{json.Length} bytes of unreadable JSON>";
        }

        using (document)
        {
            var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
            using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
            {
                WriteMasked(writer, document.RootElement);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    public static string MaskJson(string json) => MaskJson(Encoding.UTF8.GetBytes(json));

    /// <summary>Replaces, in a server's text about a command, every secret value the command itself carried (by the rule
    /// above) with <see cref="Mask"/>: an error description must not hand a password back to whoever logs the exception.</summary>
    public static string MaskEchoedSecrets(string text, ReadOnlySpan<byte> commandJson)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(commandJson.ToArray(), s_options);
        }
        catch (JsonException)
        {
            return text;
        }

        var secrets = new List<string>();
        using (document)
        {
            CollectSecrets(document.RootElement, secrets);
        }

        // Longest first, so that a secret containing a shorter one is masked whole.
        foreach (var secret in secrets.OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    private static bool IsSecretMember(string key, bool isSecretObject) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) ||
        key.Contains("passwd", StringComparison.OrdinalIgnoreCase) ||
        (isSecretObject && key == "data");

    private static bool IsSecretObject(JsonElement obj)
    {
        foreach (var member in obj.EnumerateObject())
        {
            if (member.NameEquals("qom-type") && member.Value.ValueKind == JsonValueKind.String &&
                member.Value.GetString()!.StartsWith("secret", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void CollectSecrets(JsonElement element, List<string> secrets)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var isSecretObject = IsSecretObject(element);
                foreach (var member in element.EnumerateObject())
                {
                    if (!IsSecretMember(member.Name, isSecretObject))
                    {
                        CollectSecrets(member.Value, secrets);
                    }
                    else if (member.Value.ValueKind == JsonValueKind.String)
                    {
                        if (member.Value.GetString() is { Length: > 0 } secret)
                        {
                            secrets.Add(secret);
                        }
                    }
                    else
                    {
                        secrets.Add(member.Value.GetRawText());
                    }
                }

                break;

            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectSecrets(item, secrets);
                }

                break;
        }
    }

    private static void WriteMasked(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var isSecretObject = IsSecretObject(element);
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject())
                {
                    writer.WritePropertyName(member.Name);
                    if (IsSecretMember(member.Name, isSecretObject))
                    {
                        writer.WriteStringValue(Mask);
                    }
                    else
                    {
                        WriteMasked(writer, member.Value);
                    }
                }

                writer.WriteEndObject();
                break;

            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteMasked(writer, item);
                }

                writer.WriteEndArray();
                break;

            default:
                element.WriteTo(writer);
                break;
        }
    }
}
