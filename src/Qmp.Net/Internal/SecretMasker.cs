using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qmp.Net.Internal;

/// <summary>Hides secrets in JSON text before it reaches a log: the value of every member whose name contains
/// <c>password</c>, and the <c>data</c> of any object whose <c>qom-type</c> is <c>secret</c> (how QEMU receives keys and
/// passwords through <c>object-add</c>). Used only on paths that log argument values (Trace), so its cost is irrelevant.</summary>
internal static class SecretMasker
{
    public const string Mask = "***";

    public static string MaskJson(ReadOnlySpan<byte> json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = MessageReader.MaxDepth });
        }
        catch (JsonException)
        {
            // Not JSON we can read: log only its length, never text that might hold a secret.
            return $"<{json.Length} bytes of unreadable JSON>";
        }

        if (node is null)
        {
            return "null";
        }

        MaskNode(node);
        return node.ToJsonString();
    }

    public static string MaskJson(string json) => MaskJson(Encoding.UTF8.GetBytes(json));

    /// <summary>Replaces, in a server's text about a command, every secret value the command itself carried (by the rule
    /// above) with <see cref="Mask"/>: an error description must not hand a password back to whoever logs the exception.</summary>
    public static string MaskEchoedSecrets(string text, ReadOnlySpan<byte> commandJson)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(commandJson, documentOptions: new JsonDocumentOptions { MaxDepth = MessageReader.MaxDepth });
        }
        catch (JsonException)
        {
            return text;
        }

        var secrets = new List<string>();
        if (node is not null)
        {
            CollectSecrets(node, secrets);
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

    private static bool IsSecretObject(JsonObject obj) =>
        obj.TryGetPropertyValue("qom-type", out var type) &&
        type is JsonValue value && value.TryGetValue<string>(out var typeName) &&
        typeName.StartsWith("secret", StringComparison.Ordinal);

    private static void CollectSecrets(JsonNode node, List<string> secrets)
    {
        switch (node)
        {
            case JsonObject obj:
                var isSecretObject = IsSecretObject(obj);
                foreach (var (key, child) in obj)
                {
                    if (IsSecretMember(key, isSecretObject))
                    {
                        if (child is JsonValue value && value.TryGetValue<string>(out var secret) && secret.Length > 0)
                        {
                            secrets.Add(secret);
                        }
                        else if (child is not null)
                        {
                            var text = child.ToJsonString();
                            secrets.Add(text);
                        }
                    }
                    else if (child is not null)
                    {
                        CollectSecrets(child, secrets);
                    }
                }

                break;

            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        CollectSecrets(child, secrets);
                    }
                }

                break;
        }
    }

    private static void MaskNode(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
            {
                var isSecretObject = obj.TryGetPropertyValue("qom-type", out var type) &&
                    type is JsonValue value && value.TryGetValue<string>(out var typeName) &&
                    typeName.StartsWith("secret", StringComparison.Ordinal);
                List<string>? toMask = null;
                foreach (var (key, child) in obj)
                {
                    if (key.Contains("password", StringComparison.OrdinalIgnoreCase) ||
                        key.Contains("passwd", StringComparison.OrdinalIgnoreCase) ||
                        (isSecretObject && key == "data"))
                    {
                        (toMask ??= []).Add(key);
                    }
                    else if (child is not null)
                    {
                        MaskNode(child);
                    }
                }

                if (toMask is not null)
                {
                    foreach (var key in toMask)
                    {
                        obj[key] = Mask;
                    }
                }

                break;
            }

            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        MaskNode(child);
                    }
                }

                break;
        }
    }
}
