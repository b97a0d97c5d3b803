using System.Text;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Fuzz.Targets;

/// <summary>Target 3, the argument encoder and the secret masker, over structured inputs: the data is a JSON object used
/// as a command's arguments (inputs that are not one are skipped, so mutations stay near the interesting shape).</summary>
/// <remarks>
/// Checks, for every object: the encoded command is one compact JSON object whose <c>execute</c> (or <c>exec-oob</c>)
/// is the command, whose <c>arguments</c> equal the input and whose <c>id</c> is the one given; the masked form of the
/// command is valid JSON in which every secret member (a name containing <c>password</c> or <c>passwd</c>, or the
/// <c>data</c> of a <c>secret*</c> object) reads <c>***</c> and everything else is unchanged; and a server's text quoting
/// the secrets keeps none of them once <see cref="SecretMasker.MaskEchoedSecrets"/> has run. Configuration bits: 0–1
/// choose the command name, 2 out of band, 3 an id.
/// </remarks>
internal static class EncoderTarget
{
    private const byte DefaultConfig = 0;

    private static readonly string[] s_names = ["object-add", "blockdev-add", "change-vnc-password", "qom\"set\\\u00e9"];

    public static void Run(ReadOnlySpan<byte> input)
    {
        var fuzz = new FuzzInput(input, DefaultConfig);
        JsonDocument arguments;
        try
        {
            arguments = JsonDocument.Parse(fuzz.Data.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return;
        }

        using (arguments)
        {
            if (arguments.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            var name = s_names[fuzz.Config & 3];
            var oob = (fuzz.Config & 4) != 0;
            var id = (fuzz.Config & 8) != 0 ? long.MaxValue - fuzz.Config : 0;
            byte[] encoded;
            try
            {
                encoded = CommandEncoder.Encode(name, oob, id, arguments.RootElement, QmpJson.DefaultOptions);
            }
            catch (ArgumentException) when (!System.Text.Unicode.Utf8.IsValid(fuzz.Data) || fuzz.Data.IndexOf("\\u"u8) >= 0)
            {
                // The documented answer to arguments that are not valid Unicode text (invalid UTF-8, or an escape of a
                // lone surrogate, which only an escape can make).
                return;
            }

            CheckEncoded(encoded, name, oob, id, arguments.RootElement);
            CheckMasked(encoded, arguments.RootElement);
        }
    }

    private static void CheckEncoded(byte[] encoded, string name, bool oob, long id, JsonElement arguments)
    {
        using var command = JsonDocument.Parse(encoded, new JsonDocumentOptions { MaxDepth = 128 });
        var root = command.RootElement;
        if (encoded.AsSpan().IndexOfAny((byte)'\n', (byte)'\r') >= 0 || encoded[^1] != (byte)'}')
        {
            throw new FuzzFindingException("The encoded command is not one compact object: " + Encoding.UTF8.GetString(encoded));
        }

        if (!root.TryGetProperty(oob ? "exec-oob" : "execute", out var execute) || execute.GetString() != name)
        {
            throw new FuzzFindingException("The encoded command does not name the command: " + Encoding.UTF8.GetString(encoded));
        }

        if (!root.TryGetProperty("arguments", out var written) || !Same(written, arguments))
        {
            throw new FuzzFindingException("The encoded arguments differ from the input: " + Encoding.UTF8.GetString(encoded));
        }

        var hasId = root.TryGetProperty("id", out var writtenId);
        if (hasId != (id != 0) || (hasId && writtenId.GetInt64() != id))
        {
            throw new FuzzFindingException("The encoded id is wrong: " + Encoding.UTF8.GetString(encoded));
        }
    }

    private static void CheckMasked(byte[] encoded, JsonElement arguments)
    {
        var masked = SecretMasker.MaskJson(encoded);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(masked, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw new FuzzFindingException("The masked command is not JSON: " + masked, e);
        }

        using var owned = document;
        if (!document.RootElement.TryGetProperty("arguments", out var maskedArguments))
        {
            throw new FuzzFindingException("The masked command lost its arguments: " + masked);
        }

        var secrets = new List<string>();
        Compare(arguments, maskedArguments, "arguments", secrets);

        // A server's error text quoting each secret: none may survive (a secret made only of mask characters cannot be
        // told from the mask, and is left out of the check).
        var text = string.Join(" | ", secrets.Select(s => $"value '{s}' is invalid"));
        var scrubbed = SecretMasker.MaskEchoedSecrets(text, encoded);
        foreach (var secret in secrets)
        {
            if (secret.Length > 0 && !secret.Contains('*', StringComparison.Ordinal) && scrubbed.Contains(secret, StringComparison.Ordinal))
            {
                throw new FuzzFindingException($"A secret survived in an echoed error text: '{secret}' in '{scrubbed}'.");
            }
        }
    }

    /// <summary>Exact equality, member order included: numbers by their text (both sides were written from the
    /// input's own number text; <see cref="JsonElement.DeepEquals"/> throws on an exponent beyond <see cref="int"/>, which
    /// the campaign found), strings by value.</summary>
    private static bool Same(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var am = a.EnumerateObject().ToList();
                var bm = b.EnumerateObject().ToList();
                return am.Count == bm.Count && am.Zip(bm).All(p => p.First.Name == p.Second.Name && Same(p.First.Value, p.Second.Value));
            case JsonValueKind.Array:
                return a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => Same(p.First, p.Second));
            case JsonValueKind.String:
                return a.GetString() == b.GetString();
            case JsonValueKind.Number:
                return a.GetRawText() == b.GetRawText();
            default:
                return true;
        }
    }

    /// <summary>Walks the input and its masked form together: secret members must be masked (their values collected), the
    /// rest equal.</summary>
    private static void Compare(JsonElement original, JsonElement masked, string path, List<string> secrets)
    {
        if (original.ValueKind != JsonValueKind.Object && original.ValueKind != JsonValueKind.Array)
        {
            if (!Same(original, masked))
            {
                throw new FuzzFindingException($"Masking changed a value that is not a secret at {path}.");
            }

            return;
        }

        if (original.ValueKind != masked.ValueKind)
        {
            throw new FuzzFindingException($"Masking changed the shape at {path}.");
        }

        if (original.ValueKind == JsonValueKind.Array)
        {
            if (original.GetArrayLength() != masked.GetArrayLength())
            {
                throw new FuzzFindingException($"Masking changed an array's length at {path}.");
            }

            var index = 0;
            foreach (var (a, b) in original.EnumerateArray().Zip(masked.EnumerateArray()))
            {
                Compare(a, b, $"{path}[{index++}]", secrets);
            }

            return;
        }

        // Members in order, repeated ones included: each occurrence of a secret member is masked.
        var isSecretObject = original.EnumerateObject().Any(m => m.NameEquals("qom-type") && m.Value.ValueKind == JsonValueKind.String &&
            m.Value.GetString()!.StartsWith("secret", StringComparison.Ordinal));
        var originalMembers = original.EnumerateObject().ToList();
        var maskedMembers = masked.EnumerateObject().ToList();
        if (maskedMembers.Count != originalMembers.Count)
        {
            throw new FuzzFindingException($"Masking changed the members of {path}.");
        }

        for (var i = 0; i < originalMembers.Count; i++)
        {
            var (key, value) = (originalMembers[i].Name, originalMembers[i].Value);
            if (maskedMembers[i].Name != key)
            {
                throw new FuzzFindingException($"Masking renamed or moved member '{key}' of {path}.");
            }

            var maskedValue = maskedMembers[i].Value;
            var secret = key.Contains("password", StringComparison.OrdinalIgnoreCase) ||
                key.Contains("passwd", StringComparison.OrdinalIgnoreCase) || (isSecretObject && key == "data");
            if (secret)
            {
                if (maskedValue.ValueKind != JsonValueKind.String || maskedValue.GetString() != SecretMasker.Mask)
                {
                    throw new FuzzFindingException($"The secret member {path}.{key} was not masked.");
                }

                if (value.ValueKind == JsonValueKind.String)
                {
                    // Only strings: a non-string secret is echoed in the server's own formatting, which the check
                    // cannot know.
                    secrets.Add(value.GetString()!);
                }
            }
            else
            {
                Compare(value, maskedValue, $"{path}.{key}", secrets);
            }
        }
    }
}
