using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>No user callback runs under a library lock: a predicate or handler that waits for another thread using the
/// client must not deadlock it.</summary>
public class UserCodeOutsideLocksTests
{
    private static readonly TimeSpan OtherThreadBound = TimeSpan.FromSeconds(2);

    [Test]
    public async Task A_WaitForEventAsync_predicate_can_wait_for_another_thread_that_uses_the_client()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        var otherThreadGotThrough = false;

        var waiting = client.WaitForEventAsync("PING", _ =>
        {
            var other = Task.Run(() => client.IsConnected && client.State != QmpState.Disconnected);
            otherThreadGotThrough = other.Wait(OtherThreadBound) && other.Result;
            return true;
        });
        await server.EmitEventAsync("PING").Bounded();
        await waiting.Bounded();

        Assert.That(otherThreadGotThrough, Is.True, "the predicate ran under the client's lock");
    }

    [Test]
    [Repeat(20)]
    public async Task A_caller_that_blocks_after_its_answer_does_not_stall_the_read_loop()
    {
        // The answered caller may resume on the thread the read loop was on (the loop has posted its next receive and
        // left it): its code must still never hold up the next message.
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var eventDelivered = false;

        async Task CallerAsync()
        {
            await client.ExecuteAsync("query-status");
            var ping = client.WaitForEventAsync("PING");
            var emitted = server.EmitEventAsync("PING");

            // Blocks this thread until the read loop has delivered the event: it deadlocks if the loop waits for it.
            eventDelivered = ping.Wait(OtherThreadBound);
            await emitted;
        }

        await CallerAsync().Bounded();

        Assert.That(eventDelivered, Is.True, "the read loop waited for the caller's code");
    }

    [Test]
    [Repeat(20)]
    public async Task A_caller_that_blocks_after_its_answer_does_not_stall_the_answers_of_other_commands()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        server.Handle("query-name", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var otherAnswered = false;

        async Task CallerAsync()
        {
            await client.ExecuteAsync("query-status");
            var other = client.ExecuteAsync("query-name");
            otherAnswered = ((IAsyncResult)other).AsyncWaitHandle.WaitOne(OtherThreadBound);
        }

        await CallerAsync().Bounded();

        Assert.That(otherAnswered, Is.True, "the read loop waited for the caller's code");
    }

    [Test]
    public async Task A_WaitForEventAsync_predicate_can_execute_a_command_and_wait_for_it_to_be_written()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("from-predicate", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        Task<System.Text.Json.JsonElement>? fromPredicate = null;
        var written = false;

        var waiting = client.WaitForEventAsync("PING", _ =>
        {
            fromPredicate = client.ExecuteAsync("from-predicate");
            written = server.WaitForCommandAsync("from-predicate").Wait(OtherThreadBound);
            return true;
        });
        await server.EmitEventAsync("PING").Bounded();
        await waiting.Bounded();
        await fromPredicate!.Bounded();

        Assert.That(written, Is.True);
    }

    [Test]
    public async Task A_StateChanged_handler_can_wait_for_another_thread_that_changes_the_state()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("hang");
        await using var client = await TestSupport.ConnectAsync(server);
        var otherThreadGotThrough = false;
        var seen = new List<QmpState>();
        client.StateChanged += (_, e) =>
        {
            lock (seen)
            {
                seen.Add(e.NewState);
            }

            if (e.NewState == QmpState.Busy)
            {
                // Another thread aborts: it changes the state too, and must not wait for this handler to return.
                otherThreadGotThrough = Task.Run(client.Abort).Wait(OtherThreadBound);
            }
        };

        var pending = client.ExecuteAsync("hang");
        await TestSupport.ErrorOf(pending);
        await client.Completion.Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(otherThreadGotThrough, Is.True, "the handler ran under a lock the other thread needed");
            Assert.That(seen, Is.EqualTo(new[] { QmpState.Busy, QmpState.Disconnected }), "reported once each, in order");
        });
    }

    [Test]
    public async Task StateChanged_handlers_see_every_change_once_in_order_when_many_threads_change_the_state()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var seen = new List<QmpStateChangedEventArgs>();
        client.StateChanged += (_, e) =>
        {
            lock (seen)
            {
                seen.Add(e);
            }
        };

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await client.ExecuteAsync("x");
            }
        }))).Bounded();
        await client.DisposeAsync();

        List<QmpStateChangedEventArgs> changes;
        lock (seen)
        {
            changes = [.. seen];
        }

        Assert.Multiple(() =>
        {
            Assert.That(changes, Is.Not.Empty);
            Assert.That(changes[0].OldState, Is.EqualTo(QmpState.Idle));
            Assert.That(changes[^1].NewState, Is.EqualTo(QmpState.Disconnected));
            for (var i = 1; i < changes.Count; i++)
            {
                Assert.That(changes[i].OldState, Is.EqualTo(changes[i - 1].NewState), $"change {i} follows change {i - 1}");
            }
        });
    }
}
