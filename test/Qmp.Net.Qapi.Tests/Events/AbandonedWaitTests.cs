using Qmp.Net.Testing;

namespace Qmp.Net.Qapi.Tests.Events;

/// <summary>Typed event waits that the caller abandons (<c>.WaitAsync(timeout)</c>, <c>Task.WhenAny</c>) or bounds with a
/// timeout or a token: what they leave registered in the client.</summary>
public sealed class AbandonedWaitTests
{
    private const int Waits = 2000;

    [Test]
    public async Task Abandoned_typed_waits_add_no_subscription_that_sees_every_event()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await QmpClient.ConnectAsync(server.Endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        var before = client.EventRegistrations;

        var timeouts = await Task.WhenAll(Enumerable.Range(0, Waits).Select(async _ =>
        {
            try
            {
                await client.WaitForEventAsync<DeviceDeletedEvent>().WaitAsync(TimeSpan.FromMilliseconds(1));
                return false;
            }
            catch (TimeoutException)
            {
                return true;
            }
        }));

        var after = client.EventRegistrations;
        Assert.Multiple(() =>
        {
            Assert.That(timeouts, Has.All.True);
            Assert.That(after.EveryEvent, Is.EqualTo(before.EveryEvent), "each abandoned typed wait left a subscription whose filter runs on every event");
        });
    }

    [Test]
    public async Task Typed_waits_with_the_timeout_overload_leave_nothing_registered_after_2000_timeouts()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await QmpClient.ConnectAsync(server.Endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        var before = client.EventRegistrations;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Waits).Select(_ => OutcomeOf(client.WaitForEventAsync<DeviceDeletedEvent>(TimeSpan.FromMilliseconds(1)))));

        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Has.All.EqualTo(nameof(TimeoutException)));
            Assert.That(client.EventRegistrations, Is.EqualTo(before));
        });
    }

    [Test]
    public async Task Typed_waits_cancelled_by_their_token_leave_nothing_registered()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await QmpClient.ConnectAsync(server.Endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        var before = client.EventRegistrations;
        using var cts = new CancellationTokenSource();

        var waits = Enumerable.Range(0, Waits).Select(_ => OutcomeOf(client.WaitForEventAsync<DeviceDeletedEvent>(cancellationToken: cts.Token))).ToList();
        var during = client.EventRegistrations;
        await cts.CancelAsync();
        var outcomes = await Task.WhenAll(waits);

        Assert.Multiple(() =>
        {
            Assert.That(during.ByName, Is.EqualTo(before.ByName + Waits));
            Assert.That(outcomes, Has.All.EqualTo(nameof(TaskCanceledException)).Or.EqualTo(nameof(OperationCanceledException)));
            Assert.That(client.EventRegistrations, Is.EqualTo(before));
        });
    }

    [Test]
    public async Task A_typed_wait_with_a_timeout_returns_the_first_matching_event_and_unregisters()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await QmpClient.ConnectAsync(server.Endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        var before = client.EventRegistrations;

        var waiting = client.WaitForEventAsync<DeviceDeletedEvent>(TimeSpan.FromSeconds(10), e => e.Device == "d2");
        await server.EmitEventAsync("DEVICE_DELETED", new { device = "d1", path = "/machine/peripheral/d1" });
        await server.EmitEventAsync("STOP");
        await server.EmitEventAsync("DEVICE_DELETED", new { device = "d2", path = "/machine/peripheral/d2" });
        var deleted = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Device, Is.EqualTo("d2"));
            Assert.That(client.EventRegistrations, Is.EqualTo(before));
        });
    }

    [Test]
    public async Task A_typed_wait_fails_with_QmpConnectionClosedException_when_the_connection_ends()
    {
        await using var server = await QmpTestServer.StartAsync();
        var client = await QmpClient.ConnectAsync(server.Endpoint).WaitAsync(TimeSpan.FromSeconds(10));

        var waiting = client.WaitForEventAsync<DeviceDeletedEvent>(TimeSpan.FromSeconds(30));
        await client.DisposeAsync();

        Assert.That(await OutcomeOf(waiting), Is.EqualTo(nameof(QmpConnectionClosedException)));
    }

    [Test]
    public void A_typed_wait_refuses_a_timeout_that_is_not_positive()
    {
        var client = new QmpClient(QmpEndpoint.Unix("/nonexistent"));

        Assert.That(() => client.WaitForEventAsync<DeviceDeletedEvent>(TimeSpan.Zero), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    private static async Task<string> OutcomeOf(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(30));
            return "completed";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }
}
