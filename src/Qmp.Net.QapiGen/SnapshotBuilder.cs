using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>Builds the fact-only snapshot of a QAPI schema from its source: follows <c>include</c>s from the root
/// file, keeps every definition's facts in a normalized form and drops all prose.</summary>
internal static class SnapshotBuilder
{
    private static readonly string[] Kinds = ["enum", "struct", "union", "alternate", "command", "event"];

    /// <summary>Reads the schema rooted at <paramref name="rootFile"/> and returns its snapshot.</summary>
    /// <param name="rootFile">The root schema file, e.g. <c>qapi/qapi-schema.json</c>.</param>
    /// <param name="qemuVersion">The QEMU version the source is, e.g. <c>7.2.22</c>.</param>
    /// <param name="package">Where the source came from (a package name and version).</param>
    public static JsonObject Build(string rootFile, string qemuVersion, string package)
    {
        var entities = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(rootFile))!;
        ReadFile(Path.GetFullPath(rootFile), baseDir, seen, entities);
        return new JsonObject
        {
            ["format"] = "qmp-net-qapi-facts/1",
            ["qemu"] = qemuVersion,
            ["source"] = package,
            ["root"] = Path.GetFileName(rootFile),
            ["entities"] = entities,
        };
    }

    private static void ReadFile(string path, string baseDir, HashSet<string> seen, JsonArray entities)
    {
        if (!seen.Add(path))
        {
            return;
        }

        var module = Path.GetRelativePath(baseDir, path).Replace('\\', '/');
        module = module.EndsWith(".json", StringComparison.Ordinal) ? module[..^5] : module;
        foreach (var expr in QapiReader.ReadFile(File.ReadAllText(path), path))
        {
            var e = expr.Expression;
            if (e["include"] is JsonValue include)
            {
                ReadFile(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, include.GetValue<string>())), baseDir, seen, entities);
                continue;
            }

            var kind = Kinds.FirstOrDefault(e.ContainsKey);
            if (kind is null)
            {
                continue; // pragma
            }

            var name = e[kind]!.GetValue<string>();
            var doc = expr.Doc is null ? null : DocFacts.Parse(expr.Doc);
            if (doc?.Symbol is not null && doc.Symbol != name)
            {
                doc = null;
            }

            entities.Add(Normalize(kind, name, module, e, doc));
        }
    }

    private static JsonObject Normalize(string kind, string name, string module, JsonObject e, DocFacts? doc)
    {
        var o = new JsonObject { ["kind"] = kind, ["name"] = name, ["module"] = module };
        if (doc?.Since is { } since)
        {
            o["since"] = since;
        }

        CopyCondition(e, o);
        CopyFeatures(e, o);
        switch (kind)
        {
            case "enum":
                o["values"] = new JsonArray(e["data"]!.AsArray().Select(v => (JsonNode)EnumValue(v!, doc)).ToArray());
                break;
            case "struct":
                if (e["base"] is { } b)
                {
                    o["base"] = b.GetValue<string>();
                }

                o["members"] = Members(e["data"] as JsonObject ?? [], doc);
                break;
            case "union":
                if (e["base"] is JsonObject inlineBase)
                {
                    o["base-members"] = Members(inlineBase, doc);
                }
                else if (e["base"] is { } ub)
                {
                    o["base"] = ub.GetValue<string>();
                }

                o["discriminator"] = e["discriminator"]!.GetValue<string>();
                o["branches"] = Branches(e["data"]!.AsObject());
                break;
            case "alternate":
                o["branches"] = Branches(e["data"]!.AsObject());
                break;
            case "command":
            case "event":
                if (e["data"] is JsonObject args)
                {
                    o["members"] = Members(args, doc);
                }
                else if (e["data"] is { } dataType)
                {
                    o["data"] = dataType.GetValue<string>();
                }

                foreach (var flag in new[] { "boxed", "allow-oob", "allow-preconfig", "coroutine", "success-response", "gen" })
                {
                    if (e[flag] is { } f)
                    {
                        o[flag] = f.GetValue<bool>();
                    }
                }

                if (e["returns"] is { } returns)
                {
                    o["returns"] = returns.DeepClone();
                }

                break;
        }

        return o;
    }

    private static JsonObject EnumValue(JsonNode v, DocFacts? doc)
    {
        var o = new JsonObject();
        if (v is JsonValue s)
        {
            o["name"] = s.GetValue<string>();
        }
        else
        {
            o["name"] = v["name"]!.GetValue<string>();
            CopyCondition(v.AsObject(), o);
            CopyFeatures(v.AsObject(), o);
        }

        if (doc is not null && doc.MemberSince.TryGetValue(o["name"]!.GetValue<string>(), out var since))
        {
            o["since"] = since;
        }

        return o;
    }

    private static JsonArray Members(JsonObject data, DocFacts? doc)
    {
        var list = new JsonArray();
        foreach (var (key, value) in data)
        {
            var optional = key.StartsWith('*');
            var name = optional ? key[1..] : key;
            var m = new JsonObject { ["name"] = name };
            if (value is JsonObject full)
            {
                m["type"] = full["type"]!.DeepClone();
                CopyCondition(full, m);
                CopyFeatures(full, m);
            }
            else
            {
                m["type"] = value!.DeepClone();
            }

            if (optional)
            {
                m["optional"] = true;
            }

            if (doc is not null && doc.MemberSince.TryGetValue(name, out var since))
            {
                m["since"] = since;
            }

            list.Add(m);
        }

        return list;
    }

    private static JsonArray Branches(JsonObject data)
    {
        var list = new JsonArray();
        foreach (var (key, value) in data)
        {
            var b = new JsonObject { ["name"] = key };
            if (value is JsonObject full)
            {
                b["type"] = full["type"]!.DeepClone();
                CopyCondition(full, b);
            }
            else
            {
                b["type"] = value!.DeepClone();
            }

            list.Add(b);
        }

        return list;
    }

    private static void CopyCondition(JsonObject from, JsonObject to)
    {
        if (from["if"] is { } condition)
        {
            to["if"] = condition.DeepClone();
        }
    }

    private static void CopyFeatures(JsonObject from, JsonObject to)
    {
        if (from["features"] is not JsonArray features)
        {
            return;
        }

        var list = new JsonArray();
        foreach (var f in features)
        {
            if (f is JsonValue s)
            {
                list.Add(s.GetValue<string>());
            }
            else
            {
                var fo = new JsonObject { ["name"] = f!["name"]!.GetValue<string>() };
                CopyCondition(f.AsObject(), fo);
                list.Add(fo);
            }
        }

        to["features"] = list;
    }
}
