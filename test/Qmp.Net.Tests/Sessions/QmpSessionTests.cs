using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Sessions;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Sessions;

/// <summary>The reconnecting session against the fake QMP server on a real socket: reconnects, gap markers, no replay.</summary>
[CancelAfter(60_000)]
public class QmpSessionTests
{
    private static readonly QmpSessionOptions s_fast = QmpSessionOptions.Default with { ReconnectDelay = TimeSpan.FromMilliseconds(5), MaxReconnectDelay = TimeSpan.FromMilliseconds(50) };

    private static async Task<QmpSessionEvent> NextAsync(IAsyncEnumerator<QmpSessionEvent> events)
    {
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)), Is.True, "the event stream ended");
        return events.Current;
    }

    [Test]
    public async Task A_dropped_connection_is_reconnected_and_marked_with_a_gap_before_the_new_connections_events()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var session = QmpSession.ForEndpoint(server.Endpoint, options: s_fast);
        await session.StartAsync();
        await using var events = session.ReadEventsAsync().GetAsyncEnumerator();

        await server.EmitEventAsync("STOP");
        Assert.That((await NextAsync(events)).Event?.Name, Is.EqualTo("STOP"));

        await server.CloseConnectionAsync();
        var gap = await NextAsync(events);
        await server.EmitEventAsync("RESUME");
        var resumed = await NextAsync(events);

        Assert.Multiple(() =>
        {
            Assert.That(gap.IsGap, Is.True, "a gap marker, not an event, follows the drop");
            Assert.That(gap.Gap!.Reason, Is.Not.Empty);
            Assert.That(gap.Gap.Duration, Is.GreaterThanOrEqualTo(TimeSpan.Zero));
            Assert.That(resumed.Event?.Name, Is.EqualTo("RESUME"));
            Assert.That(session.ReconnectCount, Is.EqualTo(1));
            Assert.That(session.State, Is.EqualTo(QmpSessionState.Connected));
            Assert.That(server.ConnectionCount, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_command_in_flight_when_the_connection_drops_fails_as_outcome_unknown_and_is_never_replayed()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        server.NeverReply("stop");
        await using var session = QmpSession.ForEndpoint(server.Endpoint, options: s_fast);
        await session.StartAsync();
        await using var events = session.ReadEventsAsync().GetAsyncEnumerator();

        var stop = session.ExecuteAsync("stop");
        await server.WaitForCommandAsync("stop");
        await server.CloseConnectionAsync();
        var error = await TestSupport.ErrorOf(stop);
        Assert.That((await NextAsync(events)).IsGap, Is.True);
        await session.ExecuteAsync("query-status");

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpCommandOutcomeUnknownException>().With.Property("Command").EqualTo("stop"));
            Assert.That(error!.Message, Does.Contain("may or may not have taken effect"));
            Assert.That(server.Commands.Count(c => c.Name == "stop"), Is.EqualTo(1), "the command is not sent again");
        });
    }

    [Test]
    public async Task The_OnReconnected_hook_runs_on_the_new_connection_before_waiting_commands_resume()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var order = new List<string>();
        var hookEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseHook = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = s_fast with
        {
            OnReconnected = async (client, cancellationToken) =>
            {
                await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
                lock (order)
                {
                    order.Add("hook");
                }

                hookEntered.SetResult();
                await releaseHook.Task.WaitAsync(cancellationToken);
            },
        };
        await using var session = QmpSession.ForEndpoint(server.Endpoint, options: options);
        await session.StartAsync();

        await server.CloseConnectionAsync();
        await hookEntered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(session.State, Is.EqualTo(QmpSessionState.Reconnecting), "commands wait until the hook is done");
        var command = session.ExecuteAsync("query-version").ContinueWith(
            t =>
            {
                lock (order)
                {
                    order.Add("command");
                }

                return t;
            },
            TaskScheduler.Default).Unwrap();
        Assert.That(command.IsCompleted, Is.False);
        releaseHook.SetResult();
        await command.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(order, Is.EqualTo(new[] { "hook", "command" }));
    }

    [Test]
    public async Task Reconnect_backs_off_on_the_given_clock_and_the_gap_says_how_long_the_session_was_down()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var attempts = 0;
        var failing = 0;
        var session = new QmpSession(
            async cancellationToken =>
            {
                Interlocked.Increment(ref attempts);
                if (Volatile.Read(ref failing) > 0)
                {
                    Interlocked.Decrement(ref failing);
                    throw new QmpConnectionException(SocketError.ConnectionRefused, "refused (test)");
                }

                return await QmpClient.ConnectAsync(server.Endpoint, cancellationToken: cancellationToken);
            },
            QmpSessionOptions.Default with { ReconnectDelay = TimeSpan.FromSeconds(1), MaxReconnectDelay = TimeSpan.FromSeconds(1), TimeProvider = clock });
        await using (session)
        {
            await session.StartAsync();
            await using var events = session.ReadEventsAsync().GetAsyncEnumerator();
            Volatile.Write(ref failing, 2);

            await server.CloseConnectionAsync();
            var next = NextAsync(events);

            // Two failed attempts, each followed by a backoff of at most 1 s on the fake clock; nothing moves without it.
            while (!next.IsCompleted)
            {
                await Task.Delay(10);
                clock.Advance(TimeSpan.FromMilliseconds(250));
            }

            var gap = (await next).Gap;
            Assert.That(gap, Is.Not.Null);
            Assert.Multiple(() =>
            {
                Assert.That(Volatile.Read(ref attempts), Is.EqualTo(4), "first connection, two refusals, success");
                Assert.That(gap!.Duration, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(2.5)));
                Assert.That(gap.Duration.Ticks % TimeSpan.FromMilliseconds(250).Ticks, Is.Zero, "measured on the fake clock");
                Assert.That(gap.DisconnectedAt, Is.GreaterThanOrEqualTo(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
            });
        }
    }

    [Test]
    public async Task A_session_that_gives_up_closes_fails_commands_and_ends_its_event_stream()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var connects = 0;
        var session = new QmpSession(
            async cancellationToken =>
            {
                if (Interlocked.Increment(ref connects) > 1)
                {
                    throw new QmpConnectionException(SocketError.ConnectionRefused, "refused (test)");
                }

                return await QmpClient.ConnectAsync(server.Endpoint, cancellationToken: cancellationToken);
            },
            s_fast with { MaxReconnectAttempts = 3 });
        await using (session)
        {
            await session.StartAsync();
            await server.CloseConnectionAsync();

            var items = new List<QmpSessionEvent>();
            await foreach (var item in session.ReadEventsAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token))
            {
                items.Add(item);
            }

            Assert.Multiple(() =>
            {
                Assert.That(items, Is.Empty);
                Assert.That(session.State, Is.EqualTo(QmpSessionState.Closed));
                Assert.That(connects, Is.EqualTo(4), "the first connection and three attempts");
                Assert.That(() => session.ExecuteAsync("query-status"), Throws.TypeOf<QmpConnectionClosedException>().With.Message.Contains("gave up reconnecting after 3"));
            });
        }
    }

    [Test]
    [Repeat(20)]
    public async Task Reconnects_on_the_real_clock_keep_every_event_in_order_with_one_gap_per_drop()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var session = QmpSession.ForEndpoint(server.Endpoint, options: s_fast);
        await session.StartAsync();
        await using var events = session.ReadEventsAsync().GetAsyncEnumerator();
        var seen = new List<string>();

        for (var round = 0; round < 3; round++)
        {
            await server.EmitEventAsync("E" + round);
            seen.Add((await NextAsync(events)).ToString());
            await server.CloseConnectionAsync();
            seen.Add((await NextAsync(events)).IsGap ? "gap" : "event");
        }

        Assert.That(seen, Is.EqualTo(new[] { "E0", "gap", "E1", "gap", "E2", "gap" }));
        Assert.That(session.ReconnectCount, Is.EqualTo(3));
    }
}
