using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>The transaction and connect timeouts, driven by a fake clock.</summary>
public class TimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static QmpClientOptions Options(FakeTimeProvider time) => QmpClientOptions.Default with { TimeProvider = time, TransactionTimeout = Timeout };

    [Test]
    public async Task The_transaction_timeout_does_not_run_while_no_response_is_expected()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Options(time));
        await client.ExecuteAsync("x").Bounded();

        time.Advance(TimeSpan.FromHours(1));
        var after = await client.ExecuteAsync("x").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(after.ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Object));
            Assert.That(client.Completion.IsCompleted, Is.False);
        });
    }

    [Test]
    public async Task Execute_times_out_when_the_reply_never_arrives_failing_every_pending_command()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server, Options(time));

        var pending = Enumerable.Range(0, 3).Select(_ => client.ExecuteAsync("hang")).ToList();
        await server.WaitForCommandAsync(c => c.Name == "hang" && server.Commands.Count(x => x.Name == "hang") == 3).Bounded();
        time.Advance(Timeout - TimeSpan.FromSeconds(1));
        var failedEarly = pending.Any(t => t.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        var errors = new List<Exception?>();
        foreach (var task in pending)
        {
            errors.Add(await TestSupport.ErrorOf(task));
        }

        var completionError = await TestSupport.ErrorOf(client.Completion);

        Assert.Multiple(() =>
        {
            Assert.That(failedEarly, Is.False);
            Assert.That(errors, Has.All.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout));
            Assert.That(completionError, Is.SameAs(errors[0]));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task Any_received_message_restarts_the_transaction_timeout_events_included()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server, Options(time));

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        time.Advance(TimeSpan.FromSeconds(20));

        // Each event is sent only after the previous one was delivered, so it arrives in a later read: once the second is
        // delivered, the read loop has finished with the first, restart included.
        await server.EmitEventAsync("FIRST").Bounded();
        await client.Events.ReadAsync().Bounded();
        await server.EmitEventAsync("SECOND").Bounded();
        await client.Events.ReadAsync().Bounded();
        time.Advance(TimeSpan.FromSeconds(20));
        var failedAfter40 = pending.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(11));
        var error = await TestSupport.ErrorOf(pending);

        Assert.Multiple(() =>
        {
            Assert.That(failedAfter40, Is.False, "the events restarted the 30 s timeout at 20 s");
            Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout));
        });
    }

    [Test]
    public async Task Sending_more_commands_does_not_restart_the_transaction_timeout()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server, Options(time));

        var first = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        time.Advance(TimeSpan.FromSeconds(20));
        var second = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync(c => c.Name == "hang" && c.Index > server.Commands.First(x => x.Name == "hang").Index).Bounded();
        time.Advance(TimeSpan.FromSeconds(11));

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(first), Is.TypeOf<QmpCommunicationException>());
            Assert.That(await TestSupport.ErrorOf(second), Is.TypeOf<QmpCommunicationException>());
        });
    }

    [Test]
    public async Task An_infinite_transaction_timeout_never_fires()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server, Options(time) with { TransactionTimeout = System.Threading.Timeout.InfiniteTimeSpan });

        var pending = client.ExecuteAsync("hang");
        await server.WaitForCommandAsync("hang").Bounded();
        time.Advance(TimeSpan.FromDays(10));
        var completedAfterTenDays = pending.IsCompleted;
        client.Abort();

        Assert.Multiple(async () =>
        {
            Assert.That(completedAfterTenDays, Is.False);
            Assert.That(await TestSupport.ErrorOf(pending), Is.TypeOf<QmpConnectionClosedException>());
        });
    }

    [Test]
    public async Task Connecting_times_out_when_the_greeting_never_comes()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { SendGreeting = false });
        await using var client = new QmpClient(server.Endpoint, QmpClientOptions.Default with { TimeProvider = time, ConnectTimeout = TimeSpan.FromSeconds(5) });
        var awaitingGreeting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.NewState == QmpState.AwaitingGreeting)
            {
                awaitingGreeting.TrySetResult();
            }
        };

        var connect = client.ConnectAsync();
        await awaitingGreeting.Task.Bounded();
        time.Advance(TimeSpan.FromSeconds(4));
        var failedEarly = connect.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(2));
        var error = await TestSupport.ErrorOf(connect);

        Assert.Multiple(() =>
        {
            Assert.That(failedEarly, Is.False);
            Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).EqualTo(SocketError.TimedOut));
            Assert.That(client.Completion.IsFaulted, Is.True);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task Connecting_times_out_when_the_negotiation_reply_never_comes()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("qmp_capabilities");
        await using var client = new QmpClient(server.Endpoint, QmpClientOptions.Default with { TimeProvider = time, ConnectTimeout = TimeSpan.FromSeconds(5) });

        var connect = client.ConnectAsync();
        await server.WaitForCommandAsync("qmp_capabilities").Bounded();
        time.Advance(TimeSpan.FromSeconds(6));
        var error = await TestSupport.ErrorOf(connect);

        Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).EqualTo(SocketError.TimedOut).And.Message.Contains("negotiating"));
    }
}
