using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>The exact bytes the client writes.</summary>
public class WireFormatTests
{
    [Test]
    public async Task A_command_without_arguments_is_written_as_the_fewest_bytes_and_nothing_after_its_brace()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => new { status = "running" });
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteAsync("query-status").Bounded();
        await client.ExecuteAsync("query-status").Bounded();

        var commands = server.Commands;
        Assert.Multiple(() =>
        {
            Assert.That(commands[1].RawText, Is.EqualTo("{\"execute\":\"query-status\"}"));
            Assert.That(commands[1].Id, Is.Null);
            Assert.That(server.BytesReceived, Is.EqualTo(commands.Sum(c => c.Raw.Length)), "no byte outside the commands");
        });
    }

    private static IEnumerable<TestCaseData> Arguments()
    {
        const string expected = "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m0\",\"size\":1048576}}";
        yield return new TestCaseData(new { QomType = "memory-backend-ram", Id = "m0", Size = 1048576 }, expected).SetArgDisplayNames("anonymous object, kebab-case");
        yield return new TestCaseData(JsonDocument.Parse("{\"qom-type\": \"memory-backend-ram\", \"id\": \"m0\", \"size\": 1048576}").RootElement, expected).SetArgDisplayNames("JsonElement");
        yield return new TestCaseData(JsonDocument.Parse("{\"qom-type\":\"memory-backend-ram\",\"id\":\"m0\",\"size\":1048576}"), expected).SetArgDisplayNames("JsonDocument");
        yield return new TestCaseData(new JsonObject { ["qom-type"] = "memory-backend-ram", ["id"] = "m0", ["size"] = 1048576 }, expected).SetArgDisplayNames("JsonObject");
        yield return new TestCaseData(new Dictionary<string, object> { ["qom-type"] = "memory-backend-ram", ["id"] = "m0", ["size"] = 1048576 }, expected).SetArgDisplayNames("Dictionary");
        yield return new TestCaseData(new { Device = "d0", Force = (bool?)null }, "{\"execute\":\"object-add\",\"arguments\":{\"device\":\"d0\"}}").SetArgDisplayNames("null member left out");
        yield return new TestCaseData(new { }, "{\"execute\":\"object-add\",\"arguments\":{}}").SetArgDisplayNames("empty object");
    }

    [TestCaseSource(nameof(Arguments))]
    public async Task Arguments_are_written_compact(object arguments, string expected)
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("object-add", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteAsync("object-add", arguments).Bounded();

        Assert.That(server.Commands[^1].RawText, Is.EqualTo(expected));
    }

    [Test]
    public async Task Ids_are_sent_only_with_SendCommandIds_and_differ_per_command()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = true });

        await client.ExecuteAsync("query-status").Bounded();
        await client.ExecuteAsync("query-status", new { A = 1 }).Bounded();

        var commands = server.Commands;
        Assert.Multiple(() =>
        {
            Assert.That(commands[1].RawText, Does.Match("^\\{\"execute\":\"query-status\",\"id\":\\d+\\}$"));
            Assert.That(commands[2].RawText, Does.Match("^\\{\"execute\":\"query-status\",\"arguments\":\\{\"a\":1\\},\"id\":\\d+\\}$"));
            Assert.That(commands[1].Id!.Value.GetInt64(), Is.Not.EqualTo(commands[2].Id!.Value.GetInt64()));
        });
    }

    [Test]
    public async Task An_out_of_band_command_is_written_with_exec_oob_and_an_id()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-yank", _ => Array.Empty<object>());
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteOobAsync("query-yank").Bounded();

        var command = server.Commands[^1];
        Assert.Multiple(() =>
        {
            Assert.That(command.RawText, Does.Match("^\\{\"exec-oob\":\"query-yank\",\"id\":\\d+\\}$"));
            Assert.That(command.IsOob, Is.True);
        });
    }

    private static IEnumerable<TestCaseData> NotObjects()
    {
        yield return new TestCaseData(42).SetArgDisplayNames("number");
        yield return new TestCaseData("text").SetArgDisplayNames("string");
        yield return new TestCaseData(new[] { 1, 2 }).SetArgDisplayNames("array");
        yield return new TestCaseData(JsonDocument.Parse("[1]").RootElement).SetArgDisplayNames("JsonElement array");
        yield return new TestCaseData(JsonValue.Create(true)).SetArgDisplayNames("JsonValue");
    }

    [TestCaseSource(nameof(NotObjects))]
    public async Task Arguments_that_are_not_an_object_raise_ArgumentException_and_send_nothing(object arguments)
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(() => client.ExecuteAsync("x", arguments), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => client.ExecuteOobAsync("x", arguments), Throws.InstanceOf<ArgumentException>());
        Assert.That(server.Commands, Has.Count.EqualTo(1), "only qmp_capabilities");
        Assert.That(client.State, Is.EqualTo(QmpState.Idle));
    }

    [Test]
    public async Task An_empty_command_name_raises_ArgumentException()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(() => client.ExecuteAsync(""), Throws.ArgumentException);
            Assert.That(() => client.ExecuteAsync(null!), Throws.ArgumentNullException);
        });
    }
}
