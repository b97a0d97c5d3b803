using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public class StateTests
{
    [Test]
    public async Task StateChanged_reports_every_state_of_a_connection_in_order()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = new QmpClient(server.Endpoint);
        var changes = new List<(QmpState Old, QmpState New)>();
        client.StateChanged += (sender, e) =>
        {
            Assert.That(sender, Is.SameAs(client));
            lock (changes)
            {
                changes.Add((e.OldState, e.NewState));
            }
        };

        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        await client.ConnectAsync().Bounded();
        await client.ExecuteAsync("query-status").Bounded();
        await client.DisconnectAsync().Bounded();

        Assert.That(changes, Is.EqualTo(new[]
        {
            (QmpState.Disconnected, QmpState.Connecting),
            (QmpState.Connecting, QmpState.AwaitingGreeting),
            (QmpState.AwaitingGreeting, QmpState.Negotiating),
            (QmpState.Negotiating, QmpState.Idle),
            (QmpState.Idle, QmpState.Busy),
            (QmpState.Busy, QmpState.Idle),
            (QmpState.Idle, QmpState.Closing),
            (QmpState.Closing, QmpState.Disconnected),
        }));
    }

    [Test]
    public async Task A_StateChanged_handler_that_throws_is_logged_and_does_not_break_the_client()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => 1);
        await using var client = new QmpClient(server.Endpoint, QmpClientOptions.Default with { LoggerFactory = log });
        client.StateChanged += (_, _) => throw new InvalidOperationException("handler bug");

        await client.ConnectAsync().Bounded();
        var result = await client.ExecuteAsync("x").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(result.GetInt32(), Is.EqualTo(1));
            Assert.That(log.WithId(QmpEventId.StateChangedHandlerFailed).Count(), Is.GreaterThanOrEqualTo(4), "one per change");
            Assert.That(log.WithId(QmpEventId.StateChangedHandlerFailed).Select(e => e.Level), Has.All.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        });
    }

    [Test]
    public async Task State_is_Busy_while_a_command_is_pending_and_Idle_after()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var pending = client.ExecuteAsync("x");
        await server.WaitForCommandAsync("x").Bounded();
        var busy = client.State;
        gate.Open();
        await pending.Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(busy, Is.EqualTo(QmpState.Busy));
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        });
    }

    [Test]
    public async Task IsConnected_and_IsConnectionActive_follow_the_connection()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = new QmpClient(server.Endpoint);
        var before = (client.IsConnected, client.IsConnectionActive);

        await client.ConnectAsync().Bounded();
        var during = (client.IsConnected, client.IsConnectionActive);
        client.Abort();

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo((false, false)));
            Assert.That(during, Is.EqualTo((true, true)));
            Assert.That((client.IsConnected, client.IsConnectionActive), Is.EqualTo((false, false)));
        });
    }

    [Test]
    public async Task ConnectAsync_a_second_time_throws_InvalidOperationException()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(() => client.ConnectAsync(), Throws.InvalidOperationException);
        client.Abort();
        Assert.That(() => client.ConnectAsync(), Throws.InvalidOperationException, "nor after the connection ended");
    }

    [Test]
    public async Task ExecuteAsync_before_ConnectAsync_throws_InvalidOperationException()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = new QmpClient(server.Endpoint);

        Assert.Multiple(() =>
        {
            Assert.That(() => client.ExecuteAsync("query-status"), Throws.InvalidOperationException);
            Assert.That(() => client.ExecuteOobAsync("query-yank"), Throws.InvalidOperationException);
        });
    }

    [Test]
    public void Options_out_of_range_are_refused_by_the_constructor()
    {
        var endpoint = QmpEndpoint.Unix("/nonexistent");
        Assert.Multiple(() =>
        {
            Assert.That(() => new QmpClient(endpoint, QmpClientOptions.Default with { TransactionTimeout = TimeSpan.Zero }), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => new QmpClient(endpoint, QmpClientOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(-5) }), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => new QmpClient(endpoint, QmpClientOptions.Default with { MaxMessageBytes = 10 }), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => new QmpClient(endpoint, QmpClientOptions.Default with { EventBufferCapacity = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => new QmpClient(null!), Throws.ArgumentNullException);
        });
    }
}
