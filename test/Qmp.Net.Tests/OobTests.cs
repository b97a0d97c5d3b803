using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>Out-of-band execution and the in-band window it brings.</summary>
public class OobTests
{
    private static Func<ReceivedCommand, bool> Echo(int n) => c => c.Name == "echo" && c.Arguments.GetProperty("n").GetInt32() == n;

    [Test]
    public async Task With_oob_at_most_eight_in_band_commands_are_written_but_unanswered()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        server.Handle("query-yank", _ => Array.Empty<object>());
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var tasks = Enumerable.Range(1, 9).Select(n => client.ExecuteAsync("echo", new { N = n })).ToList();
        await server.WaitForCommandAsync(Echo(8)).Bounded();

        // An out-of-band command is written at once, behind whatever the client had already written: when it arrives,
        // the ninth in-band command would have arrived before it if the client had written it.
        await client.ExecuteOobAsync("query-yank").Bounded();
        var inBandWhileHeld = server.Commands.Count(c => c.Name == "echo");
        gate.Release();
        var ninth = await server.WaitForCommandAsync(Echo(9)).Bounded();
        var firstDone = await tasks[0].Bounded();
        gate.Open();
        await Task.WhenAll(tasks).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(inBandWhileHeld, Is.EqualTo(8));
            Assert.That(ninth.Index, Is.GreaterThan(server.Commands.Single(c => c.Name == "query-yank").Index));
            Assert.That(firstDone.GetProperty("n").GetInt32(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Without_oob_in_band_commands_are_not_limited_to_eight()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EnableOob = false });
        var gate = server.HoldReplies();

        var tasks = Enumerable.Range(1, 20).Select(n => client.ExecuteAsync("echo", new { N = n })).ToList();
        await server.WaitForCommandAsync(Echo(20)).Bounded();
        gate.Open();
        await Task.WhenAll(tasks).Bounded();

        Assert.That(tasks.Select(t => t.Result.GetProperty("n").GetInt32()), Is.EqualTo(Enumerable.Range(1, 20)));
    }

    [Test]
    public async Task ExecuteOobAsync_overtakes_held_in_band_commands()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("slow", _ => "slow");
        server.Handle("query-yank", _ => new[] { new { type = "chardev", id = "x" } });
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var slow = client.ExecuteAsync("slow");
        await server.WaitForCommandAsync("slow").Bounded();
        var oob = await client.ExecuteOobAsync("query-yank").Bounded();
        var slowDoneFirst = slow.IsCompleted;
        gate.Open();

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(slowDoneFirst, Is.False);
            Assert.That(oob[0].GetProperty("type").GetString(), Is.EqualTo("chardev"));
            Assert.That((await slow.Bounded()).GetString(), Is.EqualTo("slow"));
        });
    }

    [Test]
    public async Task An_out_of_band_command_the_server_refuses_raises_QmpErrorException()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("query-status", "GenericError", "The command query-status does not support OOB");
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteOobAsync("query-status"));

        Assert.That(error, Is.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.Command)).EqualTo("query-status"));
        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public async Task ExecuteOobAsync_without_negotiated_oob_throws_InvalidOperationException_and_sends_nothing()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EnableOob = false });

        Assert.That(() => client.ExecuteOobAsync("query-yank"), Throws.InvalidOperationException.With.Message.Contains("oob"));
        Assert.That(server.Commands, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ExecuteOobAsync_when_the_server_does_not_offer_oob_throws_InvalidOperationException()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Capabilities = [] });
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(() => client.ExecuteOobAsync("query-yank"), Throws.InvalidOperationException);
    }

    [Test]
    public async Task Several_out_of_band_answers_are_matched_by_id_whatever_their_order()
    {
        await using var server = await QmpTestServer.StartAsync();
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Handle("oob", async (request, ct) =>
        {
            if (request.Arguments.GetProperty("n").GetInt32() == 1)
            {
                await releaseFirst.Task.WaitAsync(ct);
            }

            return request.Arguments;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var first = client.ExecuteOobAsync("oob", new { N = 1 });
        var second = await client.ExecuteOobAsync("oob", new { N = 2 }).Bounded();
        var firstDoneEarly = first.IsCompleted;
        releaseFirst.SetResult();

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(firstDoneEarly, Is.False);
            Assert.That(second.GetProperty("n").GetInt32(), Is.EqualTo(2));
            Assert.That((await first.Bounded()).GetProperty("n").GetInt32(), Is.EqualTo(1));
        });
    }
}
