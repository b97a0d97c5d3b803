using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Qapi.Serialization;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>Every side-effect-free query-* command that needs no arguments, on <c>-machine none</c> and on <c>pc</c>: the
/// raw reply decodes typed, and re-serialized it is the raw reply again (the strict mode records unknown and missing
/// members, which must not occur).</summary>
[TestFixtureSource(typeof(Qemus), nameof(Qemus.All))]
[Category("RealQemu")]
public class QueryRoundTripTests(QemuUnderTest qemu)
{
    [TestCase("none")]
    [TestCase("pc")]
    public async Task Every_query_reply_decodes_typed_and_serializes_back_to_the_raw_reply(string machine)
    {
        await using var process = await qemu.StartAsync("-machine", machine);
        var client = process.Client;
        var schema = await IntrospectedSchema.QueryAsync(client);
        var decoded = 0;
        var failed = new List<string>();
        var errors = new List<string>();
        foreach (var command in schema.Commands.Keys.Where(c => c.StartsWith("query-", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!schema.TakesNoMandatoryArguments(command))
            {
                continue;
            }

            JsonElement raw;
            try
            {
                raw = await client.ExecuteAsync(command);
            }
            catch (QmpErrorException e)
            {
                errors.Add($"{command}: {e.ErrorClass}");
                continue;
            }

            var type = QapiCatalog.Commands[command].Type!;
            try
            {
                var info = QapiTypeInfo.For(type);
                var typed = raw.Deserialize(info);
                var back = JsonSerializer.SerializeToNode(typed, info);
                var diffs = JsonDiff.Compare(JsonNode.Parse(raw.GetRawText()), back);
                if (diffs.Count > 0)
                {
                    failed.Add($"{command}: {string.Join("; ", diffs.Take(5))}");
                }
                else
                {
                    decoded++;
                }
            }
            catch (JsonException e)
            {
                failed.Add($"{command}: {e.Message}");
            }
        }

        TestContext.Out.WriteLine($"QEMU {qemu.Label} -machine {machine}: {decoded} query replies round-trip exactly; QEMU refused {errors.Count} ({string.Join(", ", errors)})");
        Assert.That(failed, Is.Empty);
        Assert.That(decoded, Is.GreaterThan(30));
    }
}
