using System.Text.Json;
using Qmp.Net.Introspection;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Introspection;

public sealed class QmpSchemaClientExtensionsTests
{
    private static readonly JsonElement s_schema = JsonDocument.Parse("""
        [{"name":"query-status","meta-type":"command","arg-type":"0","ret-type":"0"},{"name":"0","meta-type":"object","members":[]}]
        """).RootElement.Clone();

    [Test]
    public async Task The_schema_is_queried_once_per_client_and_shared_by_concurrent_callers()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-qmp-schema", _ => s_schema);
        await using var client = await TestSupport.ConnectAsync(server);

        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetSchemaAsync())).Bounded();
        var again = await client.GetSchemaAsync().Bounded();

        Assert.That(all.Append(again).Distinct().Count(), Is.EqualTo(1));
        Assert.That(server.Commands.Count(c => c.Name == "query-qmp-schema"), Is.EqualTo(1));
        Assert.That(again.Commands.Keys, Is.EquivalentTo(new[] { "query-status" }));
    }

    [Test]
    public async Task Each_client_gets_its_own_servers_schema()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-qmp-schema", _ => s_schema);
        await using (var first = await TestSupport.ConnectAsync(server))
        {
            await first.GetSchemaAsync().Bounded();
        }

        await using var second = await TestSupport.ConnectAsync(server);
        await second.GetSchemaAsync().Bounded();

        Assert.That(server.Commands.Count(c => c.Name == "query-qmp-schema"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_failed_query_is_not_kept_and_the_next_call_asks_again()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("query-qmp-schema", "GenericError", "not now");
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(async () => await client.GetSchemaAsync().Bounded(), Throws.TypeOf<QmpErrorException>());
        server.Handle("query-qmp-schema", _ => s_schema);
        var schema = await client.GetSchemaAsync().Bounded();

        Assert.That(schema.Commands, Contains.Key("query-status"));
        Assert.That(server.Commands.Count(c => c.Name == "query-qmp-schema"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_caller_that_cancels_stops_waiting_while_the_query_goes_on_for_others()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-qmp-schema", _ => s_schema);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();
        using var cts = new CancellationTokenSource();

        var cancelled = client.GetSchemaAsync(cts.Token);
        var patient = client.GetSchemaAsync();
        await server.WaitForCommandAsync("query-qmp-schema").Bounded();
        await cts.CancelAsync();

        Assert.That(async () => await cancelled.Bounded(), Throws.InstanceOf<OperationCanceledException>());
        gate.Dispose();
        Assert.That((await patient.Bounded()).Commands, Contains.Key("query-status"));
    }

    [Test]
    public void A_null_client_is_an_argument_error() =>
        Assert.That(() => QmpSchemaClientExtensions.GetSchemaAsync(null!), Throws.ArgumentNullException);
}
