using System.Runtime.CompilerServices;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>Cancellation registrations end with the connection: a long-lived caller token must not keep a finished client
/// (its buffers, subscriptions and server connection) reachable.</summary>
[NonParallelizable]
public class RegistrationLifetimeTests
{
    [Test]
    public async Task A_disposed_client_is_collectable_while_the_token_of_a_pending_WaitForEventAsync_lives()
    {
        await using var server = await QmpTestServer.StartAsync();
        using var longLived = new CancellationTokenSource();

        var (client, waiting) = await StartWaitingAsync(server, command: false, serverCloses: false, longLived.Token);
        var error = await TestSupport.ErrorOf(waiting);
        var collected = await IsCollected(client);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(collected, Is.True, "the token's registration still holds the client");
        });
        GC.KeepAlive(longLived);
    }

    [Test]
    public async Task A_disposed_client_is_collectable_while_the_token_of_a_pending_command_lives()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        using var longLived = new CancellationTokenSource();

        var (client, pending) = await StartWaitingAsync(server, command: true, serverCloses: false, longLived.Token);
        var error = await TestSupport.ErrorOf(pending);
        var collected = await IsCollected(client);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(collected, Is.True, "the token's registration still holds the client");
        });
        GC.KeepAlive(longLived);
    }

    [Test]
    public async Task A_client_whose_server_closed_is_collectable_while_the_token_of_a_pending_WaitForEventAsync_lives()
    {
        await using var server = await QmpTestServer.StartAsync();
        using var longLived = new CancellationTokenSource();

        var (client, waiting) = await StartWaitingAsync(server, command: false, serverCloses: true, longLived.Token);
        var error = await TestSupport.ErrorOf(waiting);
        var collected = await IsCollected(client);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(collected, Is.True, "the token's registration still holds the client");
        });
        GC.KeepAlive(longLived);
    }

    [Test]
    public async Task A_disposed_client_that_read_on_a_dedicated_thread_is_collectable_while_the_watchdog_sleeps()
    {
        // The process-wide watchdog ticked this client's reader when the command's caller ran, then went to sleep once no
        // connection was left to watch: the last reader it ticked must not stay reachable from its thread.
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);

        var client = await UseDedicatedClientAsync(server);
        var collected = await IsCollected(client);

        Assert.That(collected, Is.True, "the disposed client is still reachable");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> UseDedicatedClientAsync(QmpTestServer server)
    {
        var client = await TestSupport.ConnectAsync(server, new QmpClientOptions { IoMode = QmpIoMode.DedicatedThread });
        for (var i = 0; i < 10; i++)
        {
            await client.ExecuteAsync("query-status").Bounded();
        }

        await client.DisposeAsync();
        return new WeakReference(client);
    }

    /// <summary>Connects, starts a wait with the token, ends the connection; hands back only a weak reference to the client.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Client, Task Waiting)> StartWaitingAsync(QmpTestServer server, bool command, bool serverCloses, CancellationToken token)
    {
        var client = await TestSupport.ConnectAsync(server);
        Task waiting = command ? client.ExecuteAsync("hang", cancellationToken: token) : client.WaitForEventAsync("NEVER", null, token);
        if (command)
        {
            await server.WaitForCommandAsync("hang", CancellationToken.None).Bounded();
        }

        if (serverCloses)
        {
            await server.CloseConnectionAsync(CancellationToken.None).Bounded();
            await client.Completion.Bounded();
        }

        await client.DisposeAsync();
        return (new WeakReference(client), waiting);
    }

    /// <summary>Collects until the client is gone, or gives up after 10 s (a leak is for good; what is transient is gone in
    /// milliseconds). A thread-pool thread keeps the last work item it ran (here: the client's read loop) in a local until it
    /// runs the next, so the pool is given other work between collections. A dedicated reader thread holds its connection
    /// until it has returned from its last frame, which comes just after DisposeAsync on a busy machine (20 collections
    /// were once not enough, with two CPU hogs beside the run).</summary>
    private static async Task<bool> IsCollected(WeakReference reference)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (reference.IsAlive && DateTime.UtcNow < giveUp)
        {
            await Task.WhenAll(Enumerable.Range(0, 2 * Environment.ProcessorCount).Select(_ => Task.Run(() => Thread.Sleep(1))));
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        return !reference.IsAlive;
    }
}
