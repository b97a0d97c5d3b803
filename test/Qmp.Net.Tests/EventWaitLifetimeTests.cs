using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Internal;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>How long an untyped event wait stays registered: the timeout overload and a token unregister it; an abandoned
/// wait stays until its event or the end of the connection, and the number of waits is bounded (issue 17).</summary>
public sealed class EventWaitLifetimeTests
{
    private const int Waits = 2000;

    [Test]
    public async Task Waits_with_the_timeout_overload_leave_nothing_registered_after_2000_real_clock_timeouts()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var errors = await Task.WhenAll(Enumerable.Range(0, Waits).Select(_ => ErrorOf(client.WaitForEventAsync("DEVICE_DELETED", TimeSpan.FromMilliseconds(1)))));

        Assert.Multiple(() =>
        {
            Assert.That(errors, Has.All.TypeOf<TimeoutException>().With.Message.Contains("DEVICE_DELETED"));
            Assert.That(client.EventRegistrations.Waiters, Is.Zero);
        });
    }

    [Test]
    public async Task The_timeout_overload_fails_at_the_timeout_on_the_fake_clock_and_not_before()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { TimeProvider = time });

        var waiting = client.WaitForEventAsync("SHUTDOWN", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(4.999));
        var early = waiting.IsCompleted;
        time.Advance(TimeSpan.FromMilliseconds(1));
        var error = await ErrorOf(waiting);

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.False);
            Assert.That(error, Is.TypeOf<TimeoutException>());
            Assert.That(client.EventRegistrations.Waiters, Is.Zero);
        });
    }

    [Test]
    public async Task A_wait_with_a_timeout_still_gets_its_event_and_unregisters()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var waiting = client.WaitForEventAsync("DEVICE_DELETED", TimeSpan.FromSeconds(10), e => e.Data.GetProperty("device").GetString() == "d2");
        await server.EmitEventAsync("DEVICE_DELETED", new { device = "d1" });
        await server.EmitEventAsync("DEVICE_DELETED", new { device = "d2" });
        var deleted = await waiting.Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Data.GetProperty("device").GetString(), Is.EqualTo("d2"));
            Assert.That(client.EventRegistrations.Waiters, Is.Zero);
        });
    }

    [Test]
    public async Task Waits_cancelled_by_their_token_leave_nothing_registered()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        using var cts = new CancellationTokenSource();

        var waits = Enumerable.Range(0, Waits).Select(_ => TestSupport.ErrorOf(client.WaitForEventAsync("DEVICE_DELETED", null, cts.Token))).ToList();
        var during = client.EventRegistrations.Waiters;
        await cts.CancelAsync();
        var errors = await Task.WhenAll(waits);

        Assert.Multiple(() =>
        {
            Assert.That(during, Is.EqualTo(Waits));
            Assert.That(errors, Has.All.InstanceOf<OperationCanceledException>());
            Assert.That(client.EventRegistrations.Waiters, Is.Zero);
        });
    }

    [Test]
    public async Task Abandoned_waits_stay_until_the_connection_ends_then_fail_and_leave()
    {
        await using var server = await QmpTestServer.StartAsync();
        var client = await TestSupport.ConnectAsync(server);
        var abandoned = Enumerable.Range(0, 200).Select(_ => client.WaitForEventAsync("DEVICE_DELETED")).ToList();
        foreach (var wait in abandoned)
        {
            Assert.That(async () => await wait.WaitAsync(TimeSpan.FromMilliseconds(1)), Throws.TypeOf<TimeoutException>());
        }

        var during = client.EventRegistrations.Waiters;
        await client.DisposeAsync();
        var errors = await Task.WhenAll(abandoned.Select(TestSupport.ErrorOf));

        Assert.Multiple(() =>
        {
            Assert.That(during, Is.EqualTo(200), "documented: .WaitAsync(t) does not reach the client");
            Assert.That(errors, Has.All.TypeOf<QmpConnectionClosedException>());
            Assert.That(client.EventRegistrations.Waiters, Is.Zero);
        });
    }

    [Test]
    public void The_hub_refuses_more_than_MaxWaits_pending_waits_with_a_message_that_names_the_cause()
    {
        var hub = new EventHub();
        var waits = new List<Task>();
        for (var i = 0; i < EventHub.MaxWaits - 1; i++)
        {
            waits.Add(hub.WaitAsync("A", null, Closed, CancellationToken.None));
        }

        using var queue = hub.OpenQueue("B", 4, Closed);

        Assert.Multiple(() =>
        {
            Assert.That(() => hub.WaitAsync("A", null, Closed, CancellationToken.None), Throws.InvalidOperationException.With.Message.Contains("WaitAsync"));
            Assert.That(() => hub.OpenQueue("B", 4, Closed), Throws.InvalidOperationException);
            Assert.That(hub.Registrations, Is.EqualTo((0, 1, EventHub.MaxWaits - 1)));
        });
        hub.Close(Closed());
        Assert.Multiple(() =>
        {
            Assert.That(hub.Registrations, Is.EqualTo((0, 0, 0)));
            Assert.That(waits.Select(w => w.Exception?.InnerException), Has.All.TypeOf<QmpConnectionClosedException>());
        });
    }

    [Test]
    public void An_event_is_handed_only_to_the_name_queues_of_its_name()
    {
        var hub = new EventHub();
        using var a = hub.OpenQueue("A", 4, Closed);
        using var b = hub.OpenQueue("B", 4, Closed);

        hub.Deliver(new QmpEvent("A", default, DateTimeOffset.MinValue) { Sequence = hub.NextSequence() });
        var readA = a.ReadAsync(CancellationToken.None);
        var readB = b.ReadAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(readA.IsCompletedSuccessfully, Is.True);
            Assert.That(readB.IsCompleted, Is.False);
        });
        b.Dispose();
        Assert.That(async () => await readB, Throws.TypeOf<QmpConnectionClosedException>());
    }

    /// <summary>The exception a task ended with, <see cref="TimeoutException"/> included (which
    /// <see cref="TestSupport.ErrorOf(Task)"/> takes for its own bound).</summary>
    private static async Task<Exception?> ErrorOf(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(30));
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static Exception Closed() => new QmpConnectionClosedException("closed");
}
