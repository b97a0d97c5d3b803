using System.Text.Json;
using Microsoft.Extensions.Logging;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public class EventTests
{
    [Test]
    public async Task Events_are_delivered_in_order_numbered_from_one()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        foreach (var name in new[] { "STOP", "RESUME", "RESET" })
        {
            await server.EmitEventAsync(name).Bounded();
        }

        var events = new List<QmpEvent>();
        for (var i = 0; i < 3; i++)
        {
            events.Add(await client.Events.ReadAsync().Bounded());
        }

        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.Name), Is.EqualTo(new[] { "STOP", "RESUME", "RESET" }));
            Assert.That(events.Select(e => e.Sequence), Is.EqualTo(new[] { 1L, 2L, 3L }));
        });
    }

    [Test]
    public async Task Timestamps_keep_every_microsecond()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        await server.SendRawAsync("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": \"STOP\"}\r\n").Bounded();
        var stop = await client.Events.ReadAsync().Bounded();

        Assert.That(stop.Timestamp, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(1234560)));
    }

    [Test]
    public async Task An_emitted_timestamp_arrives_unchanged()
    {
        var when = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(9876540);
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        await server.EmitEventAsync("STOP", timestamp: when).Bounded();

        Assert.That((await client.Events.ReadAsync().Bounded()).Timestamp, Is.EqualTo(when));
    }

    [Test]
    public async Task A_timestamp_of_minus_one_becomes_MinValue()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        await server.EmitEventAsync("STOP", timestamp: DateTimeOffset.MinValue).Bounded();
        var stop = await client.Events.ReadAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(server.Commands, Has.Count.EqualTo(1));
            Assert.That(stop.Timestamp, Is.EqualTo(DateTimeOffset.MinValue));
        });
    }

    [Test]
    public async Task An_event_without_data_has_an_empty_object_and_data_is_kept_otherwise()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        await server.EmitEventAsync("STOP").Bounded();
        await server.EmitEventAsync("SHUTDOWN", new { Guest = false, Reason = "host-qmp-quit" }).Bounded();
        var stop = await client.Events.ReadAsync().Bounded();
        var shutdown = await client.Events.ReadAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(stop.Data.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(stop.Data.EnumerateObject().Count(), Is.Zero);
            Assert.That(shutdown.Data.GetProperty("reason").GetString(), Is.EqualTo("host-qmp-quit"));
            Assert.That(shutdown.Data.GetProperty("guest").GetBoolean(), Is.False);
        });
    }

    [Test]
    public async Task An_event_between_a_command_and_its_response_is_delivered_before_the_command_completes()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("cont", async (_, ct) =>
        {
            await server.EmitEventAsync("RESUME", cancellationToken: ct);
            return null;
        });
        await using var client = await TestSupport.ConnectAsync(server);
        using var subscription = client.SubscribeEvents();
        var waiter = client.WaitForEventAsync("RESUME");

        await client.ExecuteAsync("cont").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(client.Events.TryRead(out var e) ? e.Name : null, Is.EqualTo("RESUME"));
            Assert.That(subscription.TryRead(out var s) ? s.Name : null, Is.EqualTo("RESUME"));
            Assert.That(waiter.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public async Task A_subscriber_that_never_reads_stays_bounded_and_commands_still_complete()
    {
        const int capacity = 16, sent = 1000;
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("burst", async (_, ct) =>
        {
            for (var i = 0; i < sent; i++)
            {
                await server.EmitEventAsync("TICK", new { I = i }, cancellationToken: ct);
            }

            return null;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EventBufferCapacity = capacity, LoggerFactory = log });
        using var neverRead = client.SubscribeEvents();

        await client.ExecuteAsync("burst").Bounded();
        var kept = new List<QmpEvent>();
        while (neverRead.TryRead(out var e))
        {
            kept.Add(e);
        }

        Assert.Multiple(() =>
        {
            Assert.That(client.Events.Count, Is.EqualTo(capacity));
            Assert.That(client.Events.DroppedCount, Is.EqualTo(sent - capacity));
            Assert.That(neverRead.DroppedCount, Is.EqualTo(sent - capacity));
            Assert.That(kept.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(sent - capacity + 1, capacity).Select(i => (long)i)), "the oldest are dropped");
            Assert.That(log.WithId(QmpEventId.EventsDropped).Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Warning, LogLevel.Warning }), "once per burst per subscription");
        });
    }

    [Test]
    public async Task A_new_burst_after_the_reader_caught_up_is_logged_again()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("burst", async (_, ct) =>
        {
            for (var i = 0; i < 5; i++)
            {
                await server.EmitEventAsync("TICK", cancellationToken: ct);
            }

            return null;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EventBufferCapacity = 2, LoggerFactory = log });

        await client.ExecuteAsync("burst").Bounded();
        var firstBurst = log.WithId(QmpEventId.EventsDropped).Count();
        await foreach (var _ in client.Events)
        {
            if (client.Events.Count == 0)
            {
                break;
            }
        }

        await client.ExecuteAsync("burst").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(firstBurst, Is.EqualTo(1));
            Assert.That(log.WithId(QmpEventId.EventsDropped).Count(), Is.EqualTo(2));
            Assert.That(client.Events.DroppedCount, Is.EqualTo(6));
        });
    }

    [TestCase(false, TestName = "A_new_burst_after_the_reader_caught_up_with_ReadAsync_is_logged_again")]
    [TestCase(true, TestName = "A_new_burst_after_the_reader_caught_up_with_TryRead_is_logged_again")]
    public async Task A_new_burst_after_a_reader_caught_up_without_enumerating_is_logged_again(bool tryRead)
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("burst", async (_, ct) =>
        {
            for (var i = 0; i < 5; i++)
            {
                await server.EmitEventAsync("TICK", cancellationToken: ct);
            }

            return null;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EventBufferCapacity = 2, LoggerFactory = log });

        await client.ExecuteAsync("burst").Bounded();
        while (client.Events.Count > 0)
        {
            if (tryRead)
            {
                client.Events.TryRead(out _);
            }
            else
            {
                await client.Events.ReadAsync().Bounded();
            }
        }

        await client.ExecuteAsync("burst").Bounded();

        Assert.That(log.WithId(QmpEventId.EventsDropped).Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_filtered_subscription_sees_only_matching_events_after_it_was_made()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        await server.EmitEventAsync("STOP").Bounded();
        await client.Events.ReadAsync().Bounded();

        using var stops = client.SubscribeEvents(e => e.Name == "STOP");
        await server.EmitEventAsync("RESUME").Bounded();
        await server.EmitEventAsync("STOP", new { N = 2 }).Bounded();
        var stop = await stops.ReadAsync().Bounded();
        await client.Events.ReadAsync().Bounded();
        await client.Events.ReadAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(stop.Data.GetProperty("n").GetInt32(), Is.EqualTo(2));
            Assert.That(stop.Sequence, Is.EqualTo(3));
            Assert.That(stops.Count, Is.Zero);
        });
    }

    [Test]
    public async Task A_disposed_subscription_ends_its_enumeration_and_gets_no_more_events()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        var subscription = client.SubscribeEvents();

        subscription.Dispose();
        await server.EmitEventAsync("STOP").Bounded();
        await client.Events.ReadAsync().Bounded();

        Assert.Multiple(async () =>
        {
            await subscription.Completion.Bounded();
            Assert.That(subscription.Count, Is.Zero);
        });
    }

    [Test]
    public async Task WaitForEventAsync_sees_only_events_after_the_call_that_match()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        await server.EmitEventAsync("STOP", new { N = 1 }).Bounded();
        await client.Events.ReadAsync().Bounded();

        var waiter = client.WaitForEventAsync("STOP", e => e.Data.GetProperty("n").GetInt32() == 3);
        await server.EmitEventAsync("STOP", new { N = 2 }).Bounded();
        await server.EmitEventAsync("RESUME", new { N = 3 }).Bounded();
        await server.EmitEventAsync("STOP", new { N = 3 }).Bounded();
        var stop = await waiter.Bounded();

        Assert.That((stop.Sequence, stop.Data.GetProperty("n").GetInt32()), Is.EqualTo((4L, 3)));
    }

    [Test]
    public async Task WaitForEventAsync_fails_with_what_its_condition_throws_and_the_client_goes_on()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var waiter = client.WaitForEventAsync("STOP", _ => throw new FormatException("condition bug"));
        await server.EmitEventAsync("STOP").Bounded();
        await server.EmitEventAsync("RESUME").Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(waiter), Is.TypeOf<FormatException>());
            Assert.That((await client.Events.ReadAsync().Bounded()).Name, Is.EqualTo("STOP"));
            Assert.That((await client.Events.ReadAsync().Bounded()).Name, Is.EqualTo("RESUME"));
        });
    }

    [Test]
    public async Task WaitForEventAsync_can_be_cancelled()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        using var cts = new CancellationTokenSource();

        var waiter = client.WaitForEventAsync("NEVER", null, cts.Token);
        cts.Cancel();

        Assert.That(await TestSupport.ErrorOf(waiter), Is.InstanceOf<OperationCanceledException>().With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cts.Token));
    }

    [Test]
    public async Task WaitForEventAsync_fails_with_QmpConnectionClosedException_when_the_connection_ends()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var waiter = client.WaitForEventAsync("NEVER");
        await server.CloseConnectionAsync().Bounded();
        var error = await TestSupport.ErrorOf(waiter);
        var afterEnd = await TestSupport.ErrorOf(client.WaitForEventAsync("NEVER"));

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(afterEnd, Is.TypeOf<QmpConnectionClosedException>());
        });
    }

    [Test]
    public async Task WaitForEventAsync_fails_with_the_communication_error_that_broke_the_connection()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var waiter = client.WaitForEventAsync("NEVER");
        await server.SendRawAsync("[]").Bounded();

        Assert.That(await TestSupport.ErrorOf(waiter), Is.TypeOf<QmpCommunicationException>());
    }

    [Test]
    public async Task Every_enumeration_ends_after_its_buffered_events_when_the_connection_ends()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        using var subscription = client.SubscribeEvents();

        await server.EmitEventAsync("A").Bounded();
        await server.EmitEventAsync("B").Bounded();
        await server.CloseConnectionAsync().Bounded();
        await client.Completion.Bounded();

        async Task<List<string>> Drain(QmpEventSubscription events)
        {
            var names = new List<string>();
            await foreach (var e in events)
            {
                names.Add(e.Name);
            }

            return names;
        }

        var fromEvents = await Drain(client.Events).Bounded();
        var fromSubscription = await Drain(subscription).Bounded();
        using var late = client.SubscribeEvents();

        Assert.Multiple(async () =>
        {
            Assert.That(fromEvents, Is.EqualTo(new[] { "A", "B" }));
            Assert.That(fromSubscription, Is.EqualTo(new[] { "A", "B" }));
            Assert.That(await Drain(late).Bounded(), Is.Empty, "a subscription made after the end is already complete");
        });
    }

    [Test]
    public async Task A_filter_that_throws_drops_the_event_for_that_subscription_only()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = log });
        using var broken = client.SubscribeEvents(_ => throw new InvalidOperationException("filter bug"));
        using var later = client.SubscribeEvents();

        await server.EmitEventAsync("STOP").Bounded();

        // Delivered to subscriptions in the order they were made: once the later one has it, the broken filter has run.
        var stop = await later.ReadAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(stop.Name, Is.EqualTo("STOP"));
            Assert.That(broken.Count, Is.Zero);
            Assert.That(log.WithId(QmpEventId.EventFilterFailed).Single().Level, Is.EqualTo(LogLevel.Warning));
        });
    }
}
