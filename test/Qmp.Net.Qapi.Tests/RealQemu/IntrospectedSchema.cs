using System.Text.Json;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>The few facts of a QEMU's query-qmp-schema that the coverage tests need (names are real there; type
/// names are masked).</summary>
internal sealed class IntrospectedSchema
{
    private IntrospectedSchema(JsonElement schema)
    {
        foreach (var entity in schema.EnumerateArray())
        {
            var name = entity.GetProperty("name").GetString()!;
            switch (entity.GetProperty("meta-type").GetString())
            {
                case "command":
                    Commands[name] = entity;
                    break;
                case "event":
                    Events[name] = entity;
                    break;
                case "enum":
                    Enums[name] = [.. entity.GetProperty("values").EnumerateArray().Select(v => v.GetString()!)];
                    break;
            }

            Types[name] = entity;
        }
    }

    public Dictionary<string, JsonElement> Commands { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsonElement> Events { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, HashSet<string>> Enums { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsonElement> Types { get; } = new(StringComparer.Ordinal);

    public static async Task<IntrospectedSchema> QueryAsync(QmpClient client) =>
        new(await client.ExecuteAsync("query-qmp-schema"));

    /// <summary>Whether a command can run without arguments (it has none, or all are optional).</summary>
    public bool TakesNoMandatoryArguments(string command)
    {
        var argType = Types[Commands[command].GetProperty("arg-type").GetString()!];
        return argType.GetProperty("members").EnumerateArray().All(m => m.TryGetProperty("default", out _));
    }
}
