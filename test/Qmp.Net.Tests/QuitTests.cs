using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary><c>quit</c>: QEMU may exit before its answer reaches the client.</summary>
public class QuitTests
{
    [TestCase(QmpTestServerTransport.Unix, false, TestName = "Quit_succeeds_when_the_server_closes_before_answering")]
    [TestCase(QmpTestServerTransport.Tcp, false, TestName = "Quit_succeeds_when_the_server_closes_before_answering_over_TCP")]
    [TestCase(QmpTestServerTransport.Tcp, true, TestName = "Quit_succeeds_when_the_server_resets_the_connection_before_answering")]
    public async Task Quit_whose_answer_is_lost_succeeds_and_ends_the_client_gracefully(QmpTestServerTransport transport, bool reset)
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Transport = transport });
        server.Handle("quit", async (_, ct) =>
        {
            await server.WaitForCommandAsync("query-status", ct);
            if (reset)
            {
                server.ResetConnection();
            }
            else
            {
                await server.CloseConnectionAsync(ct);
            }

            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var quit = client.ExecuteAsync("quit");
        var behind = client.ExecuteAsync("query-status");
        var behindError = await TestSupport.ErrorOf(behind);

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(quit), Is.Null);
            Assert.That(behindError, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task Quit_that_is_answered_then_followed_by_a_close_ends_gracefully()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("quit", async (_, ct) =>
        {
            await server.SendRawAsync("{\"return\": {}}\r\n", ct);
            await server.EmitEventAsync("SHUTDOWN", new { Guest = false, Reason = "host-qmp-quit" }, cancellationToken: ct);
            await server.CloseConnectionAsync(ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);
        var shutdown = client.WaitForEventAsync("SHUTDOWN");

        await client.ExecuteAsync("quit").Bounded();
        await client.Completion.Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That((await shutdown.Bounded()).Data.GetProperty("reason").GetString(), Is.EqualTo("host-qmp-quit"));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task A_command_other_than_quit_is_not_completed_by_a_close()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("stop", async (_, ct) =>
        {
            await server.CloseConnectionAsync(ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync("stop")), Is.TypeOf<QmpConnectionClosedException>());
    }
}
