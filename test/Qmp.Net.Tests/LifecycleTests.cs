using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>How a connection ends: server close, DisconnectAsync, Abort, DisposeAsync.</summary>
public class LifecycleTests
{
    [Test]
    public async Task A_server_close_at_a_message_boundary_is_a_graceful_end()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        await server.CloseConnectionAsync().Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(pending), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
            Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync("x")), Is.TypeOf<QmpConnectionClosedException>());
        });
    }

    [Test]
    public async Task A_server_close_inside_a_message_is_ReadFailed()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        await server.CloseMidMessageAsync().Bounded();
        var error = await TestSupport.ErrorOf(pending);

        Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.ReadFailed));
        Assert.That(await TestSupport.ErrorOf(client.Completion), Is.SameAs(error));
    }

    [Test]
    public async Task A_connection_reset_while_a_command_is_pending_is_ReadFailed()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Transport = QmpTestServerTransport.Tcp });
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        server.ResetConnection();

        Assert.That(await TestSupport.ErrorOf(pending), Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.ReadFailed));
    }

    [Test]
    public async Task A_failed_write_is_WriteFailed_on_every_pending_command_and_Completion()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);
        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();

        server.ShutDownReceive();
        var write = client.ExecuteAsync("x");
        var error = await TestSupport.ErrorOf(write);

        Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.WriteFailed));
        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(pending), Is.SameAs(error));
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.SameAs(error));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task DisconnectAsync_waits_for_accepted_commands_then_closes()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => "done");
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var accepted = client.ExecuteAsync("x");
        await server.WaitForCommandAsync("x").Bounded();
        var disconnect = client.DisconnectAsync();
        var stateWhileClosing = client.State;
        var refused = await TestSupport.ErrorOf(client.ExecuteAsync("x"));
        var disconnectedEarly = disconnect.IsCompleted;
        gate.Open();
        await disconnect.Bounded();
        await server.WaitForDisconnectAsync().Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That(stateWhileClosing, Is.EqualTo(QmpState.Closing));
            Assert.That(refused, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(disconnectedEarly, Is.False);
            Assert.That((await accepted.Bounded()).GetString(), Is.EqualTo("done"));
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
            Assert.That(server.Commands.Count(c => c.Name == "x"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task DisconnectAsync_also_waits_for_commands_queued_behind_the_oob_window()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var tasks = Enumerable.Range(1, 12).Select(n => client.ExecuteAsync("echo", new { N = n })).ToList();
        await server.WaitForCommandAsync(c => c.Name == "echo" && c.Arguments.GetProperty("n").GetInt32() == 8).Bounded();
        var disconnect = client.DisconnectAsync();
        gate.Open();
        await disconnect.Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(tasks.Select(t => t.IsCompletedSuccessfully ? t.Result.GetProperty("n").GetInt32() : -1), Is.EqualTo(Enumerable.Range(1, 12)));
            Assert.That(client.Completion.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public async Task DisconnectAsync_is_bounded_by_the_transaction_timeout()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { TimeProvider = time });

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        var disconnect = client.DisconnectAsync();
        time.Advance(QmpClientOptions.Default.TransactionTimeout + TimeSpan.FromSeconds(1));
        await disconnect.Settled();

        Assert.Multiple(async () =>
        {
            Assert.That(disconnect.IsCompleted, Is.True);
            Assert.That(await TestSupport.ErrorOf(pending), Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task Cancelling_DisconnectAsync_aborts_and_fails_the_remaining_commands()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);
        using var cts = new CancellationTokenSource();

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        var disconnect = client.DisconnectAsync(cts.Token);
        cts.Cancel();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(disconnect), Is.InstanceOf<OperationCanceledException>());
            Assert.That(await TestSupport.ErrorOf(pending), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task DisconnectAsync_on_an_idle_client_closes_at_once_and_is_repeatable()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        await client.DisconnectAsync().Bounded();
        await client.DisconnectAsync().Bounded();
        await server.WaitForDisconnectAsync().Bounded();

        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
    }

    [Test]
    public async Task Abort_fails_pending_commands_with_QmpConnectionClosedException_and_completes_Completion()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);

        var pending = Enumerable.Range(0, 3).Select(_ => client.ExecuteAsync("hang")).ToList();
        await server.WaitForCommandAsync("hang").Bounded();
        client.Abort();
        client.Abort();

        var errors = new List<Exception?>();
        foreach (var task in pending)
        {
            errors.Add(await TestSupport.ErrorOf(task));
        }

        await server.WaitForDisconnectAsync().Bounded();
        Assert.Multiple(async () =>
        {
            Assert.That(errors, Has.All.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null);
            Assert.That(server.IsClientConnected, Is.False);
        });
    }

    [Test]
    public async Task DisposeAsync_is_idempotent_and_ends_everything()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        var client = await TestSupport.ConnectAsync(server);
        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();

        await client.DisposeAsync().AsTask().Bounded();
        await client.DisposeAsync().AsTask().Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(pending), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync("x")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(() => client.ConnectAsync(), Throws.InvalidOperationException);
            Assert.That(client.Completion.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public async Task Disposing_a_client_that_never_connected_completes_it()
    {
        await using var server = await QmpTestServer.StartAsync();
        var client = new QmpClient(server.Endpoint);

        await client.DisposeAsync().AsTask().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(client.Completion.IsCompletedSuccessfully, Is.True);
            Assert.That(() => client.ConnectAsync(), Throws.InvalidOperationException);
        });
    }
}
