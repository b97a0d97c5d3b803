using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Devices;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Workflows;

/// <summary>The bounded unplug wait of <see cref="QmpDevices"/>: events matched by id or QOM path, the guest's refusal, the
/// timeout on the fake clock and, repeated, on the real one.</summary>
public class UnplugTests
{
    [Test]
    public async Task An_unplug_the_guest_never_acknowledges_reports_not_released_when_the_fake_clock_passes_the_bound()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("device_del", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);

        var unplug = QmpDevices.UnplugAsync(client, "disk1", TimeSpan.FromSeconds(5), time);
        await server.WaitForCommandAsync("device_del").Bounded();
        time.Advance(TimeSpan.FromSeconds(4.999));
        var early = unplug.IsCompleted;
        time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await unplug.Bounded();

        Assert.That(early, Is.False);
        Assert.That(result, Is.EqualTo(new QmpUnplugResult("disk1", QmpUnplugOutcome.NotReleased, null)));
        Assert.That(result.IsDeleted, Is.False);
    }

    [Test]
    public async Task DEVICE_DELETED_for_the_device_ends_the_wait_and_other_devices_are_ignored()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("device_del", async (_, ct) =>
        {
            await server.EmitEventAsync("DEVICE_DELETED", new { device = "other", path = "/machine/peripheral/other" }, cancellationToken: ct);
            return new { };
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var unplug = QmpDevices.UnplugAsync(client, "disk1", TimeSpan.FromMinutes(1));
        await server.WaitForCommandAsync("device_del").Bounded();
        await server.EmitEventAsync("DEVICE_DELETED", new { path = "/machine/peripheral/disk1/virtio-backend" });
        await server.EmitEventAsync("DEVICE_DELETED", new { device = "disk1", path = "/machine/peripheral/disk1" });
        var result = await unplug.Bounded();

        Assert.That(result, Is.EqualTo(new QmpUnplugResult("disk1", QmpUnplugOutcome.Deleted, "/machine/peripheral/disk1")));
    }

    [Test]
    public async Task A_QOM_path_matches_the_events_path_and_the_guests_refusal_is_reported()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("device_del", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);

        var unplug = QmpDevices.UnplugAsync(client, "/machine/peripheral-anon/device[3]", TimeSpan.FromMinutes(1));
        await server.WaitForCommandAsync("device_del").Bounded();
        await server.EmitEventAsync("DEVICE_UNPLUG_GUEST_ERROR", new { path = "/machine/peripheral-anon/device[3]" });
        var result = await unplug.Bounded();

        Assert.That(result.Outcome, Is.EqualTo(QmpUnplugOutcome.GuestError));
    }

    [Test]
    public async Task A_disk_is_not_deleted_while_its_device_is_not_released()
    {
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("device_del", _ => new { });
        server.Handle("blockdev-del", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);

        var unplug = QmpDevices.UnplugDiskAsync(client, "disk1", "d1", TimeSpan.FromSeconds(1), time);
        await server.WaitForCommandAsync("device_del").Bounded();
        time.Advance(TimeSpan.FromSeconds(1));
        var result = await unplug.Bounded();

        Assert.That(result.Outcome, Is.EqualTo(QmpUnplugOutcome.NotReleased));
        Assert.That(server.Commands.Any(c => c.Name == "blockdev-del"), Is.False);
    }

    [Test]
    public async Task Bad_arguments_raise_argument_exceptions()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.ThrowsAsync<ArgumentException>(() => QmpDevices.UnplugAsync(client, "", TimeSpan.FromSeconds(1)));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => QmpDevices.UnplugAsync(client, "d", TimeSpan.FromSeconds(-1)));
        var noNode = Assert.ThrowsAsync<ArgumentException>(() => QmpDevices.HotPlugDiskAsync(client, new JsonObject { ["driver"] = "null-co" }, new JsonObject()));
        Assert.That(noNode!.ParamName, Is.EqualTo("blockdev"));
        Assert.That(server.Commands.Where(c => c.Name != "qmp_capabilities"), Is.Empty);
    }

    [Test]
    public async Task The_unplug_bound_holds_on_the_real_clock_in_every_one_of_20_rounds()
    {
        var bound = TimeSpan.FromMilliseconds(100);
        var rounds = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            await using var server = await QmpTestServer.StartAsync();
            server.Handle("device_del", _ => new { });
            await using var client = await TestSupport.ConnectAsync(server);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var result = await QmpDevices.UnplugAsync(client, "disk1", bound).Bounded();
            return (result.Outcome, watch.Elapsed);
        }));

        Assert.That(rounds.Select(r => r.Outcome), Has.All.EqualTo(QmpUnplugOutcome.NotReleased));
        Assert.That(rounds.Select(r => r.Elapsed), Has.All.GreaterThanOrEqualTo(bound - TimeSpan.FromMilliseconds(20)), "never long before the bound");
    }
}
