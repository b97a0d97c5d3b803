using System.Text;
using System.Text.Json;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;

namespace Qmp.Net.QapiGen;

/// <summary>The generator's command line: <c>snapshot</c> and <c>generate</c>.</summary>
internal static class Cli
{
    private const string Usage = """
        Usage:
          qapigen snapshot --root QAPI-SCHEMA.json --qemu VERSION --source PACKAGE --out FILE
          qapigen generate [--schemas DIR] --out DIR
        """;

    public static int Run(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            var options = ParseOptions(args.AsSpan(1));
            switch (args[0])
            {
                case "snapshot":
                    var snapshot = SnapshotBuilder.Build(Required(options, "root"), Required(options, "qemu"), Required(options, "source"));
                    File.WriteAllText(Required(options, "out"), WriteSnapshot(snapshot));
                    Console.WriteLine($"{Required(options, "out")}: {snapshot["entities"]!.AsArray().Count} definitions");
                    return 0;
                case "generate":
                    var schemas = options.GetValueOrDefault("schemas") ?? DefaultSchemaDir();
                    var files = Generator.Run(schemas, Required(options, "out"));
                    Console.WriteLine($"{files} files written to {options["out"]}");
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    /// <summary>The snapshot's text: one definition per line, so that a new QEMU's snapshot diffs line by line.</summary>
    public static string WriteSnapshot(JsonObject snapshot)
    {
        var json = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var sb = new StringBuilder();
        sb.Append('{');
        var first = true;
        foreach (var (key, value) in snapshot)
        {
            if (key == "entities")
            {
                continue;
            }

            sb.Append(first ? "" : ", ").Append(JsonSerializer.Serialize(key, json)).Append(": ").Append(value!.ToJsonString(json));
            first = false;
        }

        sb.Append(", \"entities\": [\n");
        var entities = snapshot["entities"]!.AsArray();
        for (var i = 0; i < entities.Count; i++)
        {
            sb.Append(entities[i]!.ToJsonString(json)).Append(i + 1 < entities.Count ? ",\n" : "\n");
        }

        sb.Append("]}\n");
        return sb.ToString();
    }

    private static string DefaultSchemaDir() => Path.Combine(AppContext.BaseDirectory, "Schemas");

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new UsageException($"unexpected argument '{args[i]}'");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new UsageException($"--{name} is required");

    private sealed class UsageException(string message) : Exception(message);
}
