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
