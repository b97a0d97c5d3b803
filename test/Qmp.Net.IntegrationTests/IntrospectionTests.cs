using System.Text.Json;
using Qmp.Net.Introspection;

namespace Qmp.Net.IntegrationTests;

/// <summary>The schema model against the connected QEMU's own <c>query-qmp-schema</c>, and its argument check against
/// what QEMU itself accepts and refuses.</summary>
[CancelAfter(60_000)]
public sealed class IntrospectionTests
{
    [Test]
    public async Task The_connected_QEMUs_schema_parses_and_knows_its_own_commands(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        var schema = await qemu.Client.GetSchemaAsync(cancellationToken);
        var again = await qemu.Client.GetSchemaAsync(cancellationToken);
        var commands = await qemu.Client.ExecuteAsync("query-commands", cancellationToken: cancellationToken);

        Assert.That(again, Is.SameAs(schema));
        Assert.That(schema.Commands.Keys, Is.SupersetOf(commands.EnumerateArray().Select(c => c.GetProperty("name").GetString()!)));
        Assert.That(schema.Events, Contains.Key("SHUTDOWN"));
    }

    // Each case is checked twice: by the schema, without sending anything, and by QEMU. Where the schema finds a
    // mistake QEMU must refuse the command; where it finds none, QEMU must run it.
    [TestCase("query-status", null)]
    [TestCase("query-status", """{"bogus":1}""")]
    [TestCase("qom-list", """{"path":"/machine"}""")]
    [TestCase("qom-list", """{}""")]
    [TestCase("qom-list", """{"path":5}""")]
    [TestCase("blockdev-add", """{"driver":"null-co","node-name":"n0","size":1048576}""")]
    [TestCase("blockdev-add", """{"driver":"null-co","node-name":"n1","size":"big"}""")]
    [TestCase("blockdev-add", """{"driver":"no-such-driver","node-name":"n2"}""")]
    [TestCase("blockdev-add", """{"driver":"null-co","node-name":"n3","read-only":null}""")]
    [TestCase("blockdev-add", """{"driver":"raw","node-name":"n4","file":{"driver":"null-co","bogus":true}}""")]
    [TestCase("blockdev-add", """{"driver":"raw","node-name":"n5","file":{"driver":"null-co"}}""")]
    [TestCase("blockdev-add", """{"driver":"raw","node-name":"n6","file":7}""")]
    [TestCase("human-monitor-command", """{"command-line":"info status"}""")]
    [TestCase("human-monitor-command", """{"cpu-index":0}""")]
    public async Task The_schemas_verdict_on_arguments_agrees_with_QEMUs(string command, string? arguments, CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var schema = await qemu.Client.GetSchemaAsync(cancellationToken);
        using var document = arguments is null ? null : JsonDocument.Parse(arguments);

        var errors = schema.Validate(command, document?.RootElement);
        QmpErrorException? refused = null;
        try
        {
            await qemu.Client.ExecuteAsync(command, document?.RootElement, cancellationToken);
        }
        catch (QmpErrorException e)
        {
            refused = e;
        }

        if (errors.Count == 0)
        {
            Assert.That(refused, Is.Null, "the schema found no mistake, but QEMU refused the command");
        }
        else
        {
            Assert.That(refused, Is.Not.Null, "the schema found " + string.Join("; ", errors) + ", but QEMU ran the command");
        }
    }
}
