using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public class CancellationTests
{
    private static Func<ReceivedCommand, bool> Echo(int n) => c => c.Name == "echo" && c.Arguments.GetProperty("n").GetInt32() == n;

    [Test]
    public async Task Cancelling_before_the_write_cancels_at_once_and_nothing_is_sent()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();
        var held = Enumerable.Range(1, 8).Select(n => client.ExecuteAsync("echo", new { N = n })).ToList();
        await server.WaitForCommandAsync(Echo(8)).Bounded();
        using var cts = new CancellationTokenSource();

        var ninth = client.ExecuteAsync("echo", new { N = 9 }, cts.Token);
        cts.Cancel();
        var cancelledAtOnce = ninth.IsCanceled;
        gate.Open();
        await Task.WhenAll(held).Bounded();
        var after = await client.ExecuteAsync("echo", new { N = 10 }).Bounded();

        Assert.That(cancelledAtOnce, Is.True);
        Assert.That(() => ninth, Throws.InstanceOf<OperationCanceledException>().With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cts.Token));
        Assert.Multiple(() =>
        {
            Assert.That(after.GetProperty("n").GetInt32(), Is.EqualTo(10));
            Assert.That(server.Commands.Any(Echo(9)), Is.False, "the cancelled command never reached the server");
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        });
    }

    [Test]
    public async Task Cancelling_after_the_write_cancels_at_once_and_the_late_response_is_dropped()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();
        using var cts = new CancellationTokenSource();

        var first = client.ExecuteAsync("echo", new { N = 1 }, cts.Token);
        await server.WaitForCommandAsync(Echo(1)).Bounded();
        cts.Cancel();
        var cancelledAtOnce = first.IsCanceled;
        var second = client.ExecuteAsync("echo", new { N = 2 });
        await server.WaitForCommandAsync(Echo(2)).Bounded();
        gate.Open();
        var secondResult = await second.Bounded();

        Assert.That(cancelledAtOnce, Is.True);
        Assert.That(() => first, Throws.InstanceOf<OperationCanceledException>().With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cts.Token));
        Assert.Multiple(() =>
        {
            Assert.That(secondResult.GetProperty("n").GetInt32(), Is.EqualTo(2), "the second command gets its own answer, not the first's");
            Assert.That(client.IsConnected, Is.True);
        });
    }

    [Test]
    public async Task An_already_cancelled_token_cancels_without_sending()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var task = client.ExecuteAsync("echo", new { N = 1 }, cts.Token);
        await client.ExecuteAsync("echo", new { N = 2 }).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(task.IsCanceled, Is.True);
            Assert.That(server.Commands.Any(Echo(1)), Is.False);
        });
    }

    [Test]
    public async Task Cancelling_an_out_of_band_command_after_the_write_drops_its_late_answer()
    {
        await using var server = await QmpTestServer.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Handle("oob", async (request, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return request.Arguments;
        });
        server.Handle("echo", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        using var cts = new CancellationTokenSource();

        var oob = client.ExecuteOobAsync("oob", new { N = 1 }, cts.Token);
        await server.WaitForCommandAsync("oob").Bounded();
        cts.Cancel();
        release.SetResult();
        var next = await client.ExecuteAsync("echo", new { N = 2 }).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(oob.IsCanceled, Is.True);
            Assert.That(next.GetProperty("n").GetInt32(), Is.EqualTo(2));
            Assert.That(client.IsConnected, Is.True);
        });
    }

    [Test]
    public async Task Cancelling_ConnectAsync_closes_the_client()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { SendGreeting = false });
        await using var client = new QmpClient(server.Endpoint);
        using var cts = new CancellationTokenSource();
        var awaitingGreeting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.NewState == QmpState.AwaitingGreeting)
            {
                awaitingGreeting.TrySetResult();
            }
        };

        var connect = client.ConnectAsync(cts.Token);
        await awaitingGreeting.Task.Bounded();
        cts.Cancel();
        var error = await TestSupport.ErrorOf(connect);

        Assert.That(error, Is.InstanceOf<OperationCanceledException>().With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cts.Token));
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
    }
}
