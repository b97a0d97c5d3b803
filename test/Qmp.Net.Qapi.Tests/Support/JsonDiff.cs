using System.Text.Json.Nodes;

namespace Qmp.Net.Qapi.Tests.Support;

/// <summary>The strict test mode's comparison: what a raw reply has that the typed re-serialization lost (unknown
/// members) and what the typed form added (members it made up, e.g. a missing mandatory one written as its default).</summary>
internal static class JsonDiff
{
    public static List<string> Compare(JsonNode? raw, JsonNode? typed, string path = "$")
    {
        var diffs = new List<string>();
        Walk(raw, typed, path, diffs);
        return diffs;
    }

    private static void Walk(JsonNode? raw, JsonNode? typed, string path, List<string> diffs)
    {
        switch (raw, typed)
        {
            case (JsonObject r, JsonObject t):
                foreach (var (name, value) in r)
                {
                    if (!t.TryGetPropertyValue(name, out var tv))
                    {
                        diffs.Add($"unknown member {path}.{name}");
                    }
                    else
                    {
                        Walk(value, tv, $"{path}.{name}", diffs);
                    }
                }

                foreach (var (name, _) in t)
                {
                    if (!r.ContainsKey(name))
                    {
                        diffs.Add($"missing member {path}.{name}");
                    }
                }

                break;
            case (JsonArray r, JsonArray t) when r.Count == t.Count:
                for (var i = 0; i < r.Count; i++)
                {
                    Walk(r[i], t[i], $"{path}[{i}]", diffs);
                }

                break;
            default:
                if (!JsonNode.DeepEquals(raw, typed))
                {
                    diffs.Add($"value {path}: {raw?.ToJsonString()} != {typed?.ToJsonString()}");
                }

                break;
        }
    }
}
