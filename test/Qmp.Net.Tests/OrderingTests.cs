using System.Text.Json;
using Microsoft.Extensions.Logging;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>Matching responses to commands: FIFO for in-band, ids when asked for, and what counts as a violation.</summary>
public class OrderingTests
{
    private static QmpCommunicationError? ErrorKind(Exception? e) => (e as QmpCommunicationException)?.Error;

    [Test]
    public async Task Responses_complete_commands_in_the_order_they_were_sent()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var tasks = Enumerable.Range(0, 5).Select(i => client.ExecuteAsync("echo", new { N = i })).ToList();
        await server.WaitForCommandAsync(c => c.Name == "echo" && c.Arguments.GetProperty("n").GetInt32() == 4).Bounded();
        var completedWhileHeld = tasks.Count(t => t.IsCompleted);
        gate.Open();
        var results = await Task.WhenAll(tasks).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(completedWhileHeld, Is.Zero);
            Assert.That(results.Select(r => r.GetProperty("n").GetInt32()), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Ten_thousand_concurrent_commands_from_many_tasks_all_get_their_own_answer(bool sendIds)
    {
        const int tasks = 16, perTask = 625;
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = sendIds });
        using var start = new ManualResetEventSlim();

        var workers = Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            start.Wait();
            var calls = new Task<JsonElement>[perTask];
            for (var i = 0; i < perTask; i++)
            {
                calls[i] = client.ExecuteAsync("echo", new { Task = t, I = i });
            }

            var mismatches = 0;
            for (var i = 0; i < perTask; i++)
            {
                var result = await calls[i];
                if (result.GetProperty("task").GetInt32() != t || result.GetProperty("i").GetInt32() != i)
                {
                    mismatches++;
                }
            }

            return mismatches;
        })).ToArray();
        start.Set();
        var mismatches = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Multiple(() =>
        {
            Assert.That(mismatches.Sum(), Is.Zero);
            Assert.That(server.Commands.Count(c => c.Name == "echo"), Is.EqualTo(tasks * perTask));
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        });
    }

    [Test]
    public async Task Completion_has_failed_by_the_time_a_command_fails_with_the_connection()
    {
        // The read loop is held in the middle of ending the connection (in its "connection failed" log call). A command
        // failed with the connection's error before Completion had it: a caller checking Completion after the error (to
        // decide to reconnect) found it still running.
        await using var server = await QmpTestServer.StartAsync();
        using var logger = new HeldConnectionFailedLog(TimeSpan.FromSeconds(2));
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = logger });
        server.Handle("x", async (_, ct) =>
        {
            await server.SendRawAsync("[1]\r\n", ct);
            return QmpTestServer.NoReply;
        });

        var (error, outcome) = await logger.FailureAndCompletionAsync(client.ExecuteAsync("x"), client);

        Assert.Multiple(() =>
        {
            Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
            Assert.That(outcome, Is.SameAs(error), "the command failed before Completion did");
        });
    }

    [Test]
    public async Task With_ids_a_response_carrying_a_wrong_id_is_an_UnexpectedResponse()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (_, ct) =>
        {
            await server.SendRawAsync("{\"return\": {}, \"id\": 987654}\r\n", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = true });

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("x"));

        Assert.Multiple(() =>
        {
            Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
            Assert.That(client.Completion.IsFaulted, Is.True);
        });
    }

    [TestCase("\"1\"", TestName = "With_ids_a_response_whose_id_is_a_string_of_the_number_is_an_UnexpectedResponse")]
    [TestCase("{\"n\": 1}", TestName = "With_ids_a_response_whose_id_is_an_object_is_an_UnexpectedResponse")]
    public async Task With_ids_a_response_whose_id_is_not_the_same_JSON_value_is_an_UnexpectedResponse(string id)
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (_, ct) =>
        {
            await server.SendRawAsync($"{{\"return\": {{}}, \"id\": {id}}}\r\n", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = true });

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("x"));

        Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    [Test]
    public async Task With_ids_a_return_without_id_is_an_UnexpectedResponse()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (_, ct) =>
        {
            await server.SendRawAsync("{\"return\": {}}\r\n", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = true });

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("x"));

        Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    [Test]
    public async Task With_ids_an_error_without_id_fails_the_head_command_and_logs_a_warning()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (_, ct) =>
        {
            await server.SendRawAsync("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n", ct);
            return QmpTestServer.NoReply;
        });
        server.Handle("y", _ => new { ok = true });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = true, LoggerFactory = log });

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("x"));
        var next = await client.ExecuteAsync("y").Bounded();

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        Assert.Multiple(() =>
        {
            Assert.That(((QmpErrorException)error!).Command, Is.EqualTo("x"));
            Assert.That(((QmpErrorException)error!).Description, Is.EqualTo("JSON parse error"));
            Assert.That(next.GetProperty("ok").GetBoolean(), Is.True, "the connection stays usable");
            Assert.That(log.WithId(QmpEventId.ErrorWithoutId).Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Warning }));
        });
    }

    [Test]
    public async Task Without_ids_an_error_reply_fails_only_its_command()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("bad", "DeviceNotFound", "Device 'x' not found");
        server.Handle("good", _ => 5);
        await using var client = await TestSupport.ConnectAsync(server);

        var bad = client.ExecuteAsync("bad");
        var good = client.ExecuteAsync("good");
        var error = await TestSupport.ErrorOf(bad);

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        await Assert.MultipleAsync(async () =>
        {
            var e = (QmpErrorException)error!;
            Assert.That((e.ErrorClass, e.Description, e.Command), Is.EqualTo(("DeviceNotFound", "Device 'x' not found", "bad")));
            Assert.That((await good.Bounded()).GetInt32(), Is.EqualTo(5));
        });
    }

    [TestCase("{\"error\": {\"desc\": \"no class\"}}", TestName = "An_error_reply_without_class_fails_its_command_with_UnexpectedResponse")]
    [TestCase("{\"error\": \"text\"}", TestName = "An_error_reply_that_is_no_object_fails_its_command_with_UnexpectedResponse")]
    public async Task A_malformed_error_reply_fails_its_command_and_the_connection(string reply)
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (_, ct) =>
        {
            await server.WaitForCommandAsync("y", ct);
            await server.SendRawAsync(reply, ct);
            return QmpTestServer.NoReply;
        });
        server.NeverReply("y");
        await using var client = await TestSupport.ConnectAsync(server);

        var x = client.ExecuteAsync("x");
        var y = client.ExecuteAsync("y");
        var error = await TestSupport.ErrorOf(x);

        Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(y), Is.SameAs(error));
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.SameAs(error));
        });
    }

    [Test]
    public async Task A_malformed_error_reply_to_an_out_of_band_command_fails_it()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (request, ct) =>
        {
            await server.SendRawAsync($"{{\"error\": {{\"desc\": \"no class\"}}, \"id\": {request.Id!.Value.GetRawText()}}}", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteOobAsync("x"));

        Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    [Test]
    public async Task Without_ids_a_response_carrying_an_id_is_an_UnexpectedResponse()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", async (_, ct) =>
        {
            await server.SendRawAsync("{\"return\": {}, \"id\": 1}\r\n", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("x"));

        Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    [Test]
    public async Task A_response_while_nothing_is_pending_is_an_UnexpectedReceive()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        await server.SendRawAsync("{\"return\": {}}\r\n").Bounded();
        var error = await TestSupport.ErrorOf(client.Completion);

        Assert.Multiple(() =>
        {
            Assert.That(ErrorKind(error), Is.EqualTo(QmpCommunicationError.UnexpectedReceive));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task A_response_to_a_command_whose_caller_cancelled_is_not_an_UnexpectedReceive()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();
        using var cts = new CancellationTokenSource();

        var cancelled = client.ExecuteAsync("x", null, cts.Token);
        await server.WaitForCommandAsync("x").Bounded();
        cts.Cancel();
        gate.Open();
        await client.ExecuteAsync("x").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(cancelled.IsCanceled, Is.True);
            Assert.That(client.Completion.IsCompleted, Is.False);
        });
    }
}
