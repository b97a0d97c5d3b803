using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

public class EventHubTests
{
    private static QmpEvent Event(EventHub hub, string name) => new(name, default, DateTimeOffset.MinValue) { Sequence = hub.NextSequence() };

    private static Exception Closed() => new QmpConnectionClosedException("closed");

    [Test]
    public void A_waiter_completes_with_the_first_event_its_predicate_accepts()
    {
        var hub = new EventHub();
        var waiting = hub.WaitAsync("A", e => e.Sequence == 2, Closed, CancellationToken.None);

        hub.Deliver(Event(hub, "A"));
        var afterFirst = waiting.IsCompleted;
        hub.Deliver(Event(hub, "A"));

        Assert.Multiple(() =>
        {
            Assert.That(afterFirst, Is.False);
            Assert.That(waiting.Result.Sequence, Is.EqualTo(2));
            Assert.That(hub.WaiterCount, Is.Zero);
        });
    }

    [Test]
    public void A_predicate_runs_outside_the_hubs_lock_so_it_may_add_a_waiter()
    {
        var hub = new EventHub();
        Task<QmpEvent>? inner = null;
        var waiting = hub.WaitAsync("A", _ => (inner = hub.WaitAsync("B", null, Closed, CancellationToken.None)) is not null, Closed, CancellationToken.None);

        hub.Deliver(Event(hub, "A"));
        hub.Deliver(Event(hub, "B"));

        Assert.Multiple(() =>
        {
            Assert.That(waiting.IsCompletedSuccessfully, Is.True);
            Assert.That(inner!.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public void A_predicate_that_throws_fails_its_waiter_only()
    {
        var hub = new EventHub();
        var failing = hub.WaitAsync("A", _ => throw new InvalidOperationException("boom"), Closed, CancellationToken.None);
        var other = hub.WaitAsync("A", null, Closed, CancellationToken.None);

        hub.Deliver(Event(hub, "A"));

        Assert.Multiple(() =>
        {
            Assert.That(failing.Exception?.InnerException, Is.TypeOf<InvalidOperationException>());
            Assert.That(other.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public void Close_fails_waiters_completes_subscriptions_and_later_waits_fail_at_once()
    {
        var hub = new EventHub();
        var subscription = new QmpEventSubscription(hub, null, 4, NullLogger.Instance);
        hub.Add(subscription);
        var waiting = hub.WaitAsync("A", null, Closed, CancellationToken.None);
        var error = Closed();

        hub.Close(error);
        var late = hub.WaitAsync("A", null, Closed, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(waiting.Exception?.InnerException, Is.SameAs(error));
            Assert.That(subscription.Completion.IsCompleted, Is.True);
            Assert.That(late.Exception?.InnerException, Is.TypeOf<QmpConnectionClosedException>());
        });
    }

    [Test]
    public void A_cancelled_waiter_leaves_the_hub()
    {
        var hub = new EventHub();
        using var cts = new CancellationTokenSource();
        var waiting = hub.WaitAsync("A", null, Closed, cts.Token);

        cts.Cancel();

        Assert.Multiple(() =>
        {
            Assert.That(waiting.IsCanceled, Is.True);
            Assert.That(hub.WaiterCount, Is.Zero);
        });
    }

    [Test]
    public void Subscriptions_get_every_event_in_order_and_a_removed_one_no_more()
    {
        var hub = new EventHub();
        var kept = new QmpEventSubscription(hub, null, 8, NullLogger.Instance);
        var removed = new QmpEventSubscription(hub, null, 8, NullLogger.Instance);
        hub.Add(kept);
        hub.Add(removed);

        hub.Deliver(Event(hub, "A"));
        removed.Dispose();
        hub.Deliver(Event(hub, "B"));

        Assert.Multiple(() =>
        {
            Assert.That(kept.Count, Is.EqualTo(2));
            Assert.That(removed.Count, Is.EqualTo(1));
        });
    }
}
