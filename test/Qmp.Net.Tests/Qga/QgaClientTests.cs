using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Qga;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Qga;

/// <summary>The guest agent client against a scripted agent on a real socket: synchronisation, ids, stale replies,
/// timeouts, fire-and-forget commands and closing.</summary>
public sealed class QgaClientTests
{
    [Test]
    public async Task The_first_command_is_preceded_by_a_reset_byte_and_a_sync_with_a_random_id()
    {
        await using var agent = new FakeGuestAgent(Answering("guest-ping", "{}"));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var result = await client.ExecuteAsync("guest-ping").Bounded();

        var raw = agent.Raw.ToArray();
        var requests = agent.Received;
        Assert.Multiple(() =>
        {
            Assert.That(result.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(raw[0], Is.EqualTo(0xFF), "the agent's parser is reset before the sync");
            Assert.That(requests.Select(FakeGuestAgent.Name), Is.EqualTo(new[] { "guest-sync-delimited", "guest-ping" }));
            Assert.That(requests[0].GetProperty("arguments").GetProperty("id").GetInt64(), Is.Positive);
            Assert.That(requests[1].TryGetProperty("id", out _), Is.True, "every command carries an id");
        });
    }

    [Test]
    public async Task Sync_ids_differ_between_clients()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await using var agent = new FakeGuestAgent();
            await using var client = await QgaClient.ConnectAsync(agent.Endpoint);
            await client.SyncAsync().Bounded();
            ids.Add(agent.Received[0].GetProperty("arguments").GetProperty("id").GetInt64());
        }

        Assert.That(ids.Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public async Task Commands_after_the_first_do_not_resync()
    {
        await using var agent = new FakeGuestAgent(Answering("guest-ping", "{}"));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        for (var i = 0; i < 5; i++)
        {
            await client.ExecuteAsync("guest-ping").Bounded();
        }

        Assert.That(agent.Count("guest-sync-delimited"), Is.EqualTo(1));
        Assert.That(agent.Count("guest-ping"), Is.EqualTo(5));
    }

    [Test]
    public async Task A_silent_channel_times_out_on_the_fake_clock()
    {
        var time = new FakeTimeProvider();
        await using var agent = new FakeGuestAgent((_, _) => Task.CompletedTask);
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { TimeProvider = time, CommandTimeout = TimeSpan.FromSeconds(5) });

        var info = client.ExecuteAsync("guest-info");
        await agent.NextAsync("guest-sync-delimited");
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.That(info.IsCompleted, Is.False);
        time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.That(async () => await info.Bounded(), Throws.TypeOf<QgaTimeoutException>()
            .With.Property(nameof(QgaTimeoutException.Command)).EqualTo("guest-sync-delimited")
            .And.Property(nameof(QgaTimeoutException.Timeout)).EqualTo(TimeSpan.FromSeconds(5))
            .And.Message.Contains("is the agent running"));
        Assert.That(client.IsConnected, Is.True, "a timeout leaves the channel open");
    }

    [Test]
    public async Task A_silent_channel_times_out_on_the_real_clock_every_time()
    {
        // 50 rounds of a 100 ms timeout on TimeProvider.System, concurrently: real timers fire early or late, and any
        // round that never ends fails the bound.
        var rounds = Enumerable.Range(0, 50).Select(async _ =>
        {
            await using var agent = new FakeGuestAgent((_, _) => Task.CompletedTask);
            await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { CommandTimeout = TimeSpan.FromMilliseconds(100) });
            return await TestSupport.ErrorOf(client.ExecuteAsync("guest-info"));
        });

        var errors = await Task.WhenAll(rounds).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(errors, Has.All.TypeOf<QgaTimeoutException>());
    }

    [Test]
    public async Task A_late_reply_after_a_timeout_is_discarded_by_the_resync()
    {
        var time = new FakeTimeProvider();
        await using var agent = new FakeGuestAgent();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { TimeProvider = time, CommandTimeout = TimeSpan.FromSeconds(5) });

        var slow = client.ExecuteAsync("guest-info");
        var slowRequest = await agent.NextAsync("guest-info");
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(async () => await slow.Bounded(), Throws.TypeOf<QgaTimeoutException>().With.Property("Command").EqualTo("guest-info"));

        // The agent answers at last, and also sends half of another message, as a stalled channel might.
        await agent.ReplyAsync(slowRequest, """{"stale": true}""");
        await agent.SendAsync("""{"return": {"half""");
        agent.Handler = async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
            }
            else
            {
                await a.ReplyAsync(request, """{"fresh": true}""");
            }
        };
        var fresh = await client.ExecuteAsync("guest-info").Bounded();

        Assert.That(fresh.TryGetProperty("fresh", out _), Is.True);
        Assert.That(agent.Count("guest-sync-delimited"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_reply_with_another_id_is_never_taken_for_the_current_commands()
    {
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
                return;
            }

            // A stray reply (another id), an error without id (a parse error), a 0xFF delimiter, then the real reply.
            await a.SendAsync("""{"return": {"wrong": true}, "id": 999999}""" + "\n");
            await a.SendAsync("""{"error": {"class": "GenericError", "desc": "JSON parse error, stray"}}""" + "\n");
            await a.SendAsync("\u00ff");
            await a.ReplyAsync(request, """{"right": true}""");
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var result = await client.ExecuteAsync("guest-info").Bounded();

        Assert.That(result.TryGetProperty("right", out _), Is.True);
    }

    [Test]
    public async Task An_error_reply_is_a_QmpErrorException_with_class_and_description()
    {
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
                return;
            }

            await a.SendAsync($$"""{"error": {"class": "CommandNotFound", "desc": "Command guest-exec has been disabled"}, "id": {{FakeGuestAgent.Id(request)}}}""" + "\n");
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        Assert.That(async () => await client.ExecuteAsync("guest-exec").Bounded(), Throws.TypeOf<QmpErrorException>()
            .With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound")
            .And.Property(nameof(QmpErrorException.Description)).EqualTo("Command guest-exec has been disabled")
            .And.Property(nameof(QmpErrorException.Command)).EqualTo("guest-exec"));
    }

    [Test]
    public async Task Fire_completes_when_written_and_the_next_command_resyncs()
    {
        await using var agent = new FakeGuestAgent(Answering("guest-ping", "{}"));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        await client.FireAsync("guest-shutdown", new Dictionary<string, object> { ["mode"] = "powerdown" }).Bounded();
        var shutdown = await agent.NextAsync("guest-shutdown");
        await client.ExecuteAsync("guest-ping").Bounded();

        Assert.That(shutdown.GetProperty("arguments").GetProperty("mode").GetString(), Is.EqualTo("powerdown"));
        Assert.That(agent.Received.Select(FakeGuestAgent.Name),
            Is.EqualTo(new[] { "guest-sync-delimited", "guest-shutdown", "guest-sync-delimited", "guest-ping" }));
    }

    [Test]
    public async Task Commands_from_many_callers_reach_the_agent_one_at_a_time()
    {
        var outstanding = 0;
        var most = 0;
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
                return;
            }

            most = Math.Max(most, Interlocked.Increment(ref outstanding));
            await Task.Yield();
            Interlocked.Decrement(ref outstanding);
            await a.ReplyAsync(request, FakeGuestAgent.Id(request).ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.ExecuteAsync("guest-get-time"))).Bounded();
        var requests = agent.Received.Where(r => FakeGuestAgent.Name(r) == "guest-get-time").ToList();

        Assert.That(most, Is.EqualTo(1));
        Assert.That(results.Select(r => r.GetInt64()), Is.EquivalentTo(requests.Select(FakeGuestAgent.Id)));
    }

    [Test]
    public async Task The_agent_closing_mid_command_fails_it_and_closes_the_client()
    {
        await using var agent = new FakeGuestAgent();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var info = client.ExecuteAsync("guest-info");
        await agent.NextAsync("guest-info");
        await agent.CloseConnectionAsync();

        Assert.That(async () => await info.Bounded(), Throws.TypeOf<QmpConnectionClosedException>());
        Assert.That(client.IsConnected, Is.False);
        Assert.That(async () => await client.ExecuteAsync("guest-ping").Bounded(), Throws.TypeOf<QmpConnectionClosedException>());
    }

    [Test]
    public async Task Garbage_fails_the_command_and_the_next_one_starts_afresh()
    {
        var garbage = true;
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
            }
            else if (garbage)
            {
                garbage = false;
                await a.SendAsync("this is not JSON\n");
            }
            else
            {
                await a.ReplyAsync(request, "{}");
            }
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        Assert.That(async () => await client.ExecuteAsync("guest-ping").Bounded(), Throws.TypeOf<QmpCommunicationException>());
        Assert.That((await client.ExecuteAsync("guest-ping").Bounded()).ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(agent.Count("guest-sync-delimited"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_caller_that_cancels_gets_its_token_and_the_late_reply_is_discarded()
    {
        await using var agent = new FakeGuestAgent();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);
        using var cts = new CancellationTokenSource();

        var info = client.ExecuteAsync("guest-info", cancellationToken: cts.Token);
        var request = await agent.NextAsync("guest-info");
        await cts.CancelAsync();
        Assert.That(async () => await info.Bounded(), Throws.InstanceOf<OperationCanceledException>()
            .With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cts.Token));

        await agent.ReplyAsync(request, """{"late": true}""");
        agent.Handler = async (a, r) =>
        {
            if (FakeGuestAgent.Name(r) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(r);
            }
            else
            {
                await a.ReplyAsync(r, """{"next": true}""");
            }
        };
        Assert.That((await client.ExecuteAsync("guest-info").Bounded()).TryGetProperty("next", out _), Is.True);
    }

    [Test]
    public async Task Dispose_ends_a_pending_command_and_waiting_ones_promptly()
    {
        await using var agent = new FakeGuestAgent();
        var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var first = client.ExecuteAsync("guest-info");
        var second = client.ExecuteAsync("guest-info");
        await agent.NextAsync("guest-info");
        await client.DisposeAsync().AsTask().Bounded();

        Assert.That(async () => await first.Bounded(), Throws.TypeOf<QmpConnectionClosedException>());
        Assert.That(async () => await second.Bounded(), Throws.TypeOf<QmpConnectionClosedException>());
    }

    [Test]
    public async Task Typed_results_and_arguments_go_through_the_serializer()
    {
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
                return;
            }

            var path = request.GetProperty("arguments").GetProperty("path").GetString();
            await a.ReplyAsync(request, $$"""{"handle-count": 3, "path": "{{path}}"}""");
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var result = await client.ExecuteAsync<FileReply>("guest-file-open", new { Path = "/etc/hostname" }).Bounded();

        Assert.That(result, Is.EqualTo(new FileReply(3, "/etc/hostname")));
    }

    [Test]
    public async Task Misuse_is_reported_clearly()
    {
        await using var agent = new FakeGuestAgent();
        await using var unconnected = new QgaClient(agent.Endpoint);
        await using var connected = await QgaClient.ConnectAsync(agent.Endpoint);

        Assert.Multiple(() =>
        {
            Assert.That(() => unconnected.ExecuteAsync("guest-ping"), Throws.InvalidOperationException.With.Message.Contains("ConnectAsync"));
            Assert.That(() => connected.ConnectAsync(), Throws.InvalidOperationException);
            Assert.That(() => connected.ExecuteAsync(""), Throws.ArgumentException);
            Assert.That(() => new QgaClient(agent.Endpoint, new QgaClientOptions { CommandTimeout = TimeSpan.Zero }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public async Task Connecting_to_a_missing_socket_is_a_connection_error()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-agent-" + Guid.NewGuid().ToString("N") + ".sock");

        var error = await TestSupport.ErrorOf(QgaClient.ConnectAsync(QmpEndpoint.Unix(path)));

        Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).Not.EqualTo(SocketError.Success));
    }

    [Test]
    public async Task A_whole_reply_followed_by_garbage_in_the_same_read_is_delivered()
    {
        await using var agent = new FakeGuestAgent((agent, request) => FakeGuestAgent.Name(request) switch
        {
            "guest-sync-delimited" => agent.AnswerSyncAsync(request),
            "guest-ping" => agent.SendAsync($$"""{"return": {}, "id": {{FakeGuestAgent.Id(request)}}}""" + "\n garbage\n"),
            _ => Task.CompletedTask,
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("guest-ping"));

        Assert.That(error, Is.Null, "the reply arrived whole before the garbage");
    }

    private static Func<FakeGuestAgent, JsonElement, Task> Answering(string command, string returnJson) => (agent, request) =>
        FakeGuestAgent.Name(request) switch
        {
            "guest-sync-delimited" => agent.AnswerSyncAsync(request),
            var name when name == command => agent.ReplyAsync(request, returnJson),
            _ => Task.CompletedTask,
        };

    private sealed record FileReply(int HandleCount, string Path);
}
