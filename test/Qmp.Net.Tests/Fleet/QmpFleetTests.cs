using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Fleet;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Fleet;

/// <summary>The fleet's per-command timeout against the fake server: it fails the command, not the connection. The server
/// holds its replies (a frozen VM) and releases them later (thawed): the late reply is dropped and the connection goes on.</summary>
[CancelAfter(60_000)]
public class QmpFleetTests
{
    [Test]
    public async Task A_command_timeout_on_the_fake_clock_fails_that_command_and_keeps_the_connection()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var clock = new FakeTimeProvider();
        await using var fleet = new QmpFleet(QmpFleetOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock });
        fleet.Add("vm", server.Endpoint);
        await fleet.ExecuteAsync("vm", "query-status");

        var gate = server.HoldReplies();
        var stop = fleet.ExecuteAsync("vm", "stop");
        await server.WaitForCommandAsync("stop");
        clock.Advance(TimeSpan.FromSeconds(4.999));
        Assert.That(stop.IsCompleted, Is.False, "not before the timeout");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var error = await TestSupport.ErrorOf(stop);
        gate.Open();
        var status = await fleet.ExecuteAsync("vm", "query-status");

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpCommandTimeoutException>().With.Property("Command").EqualTo("stop"));
            Assert.That(status.GetProperty("status").GetString(), Is.Not.Empty);
            Assert.That(fleet.ConnectionsMade("vm"), Is.EqualTo(1));
            Assert.That(server.ConnectionCount, Is.EqualTo(1));
        });
    }

    [Test]
    [Repeat(20)]
    public async Task A_command_timeout_on_the_real_clock_fails_that_command_and_keeps_the_connection()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        // 1 s, not less: the timeout bounds every call of the fleet, and under a load of about 17 on this 2-core machine the
        // first call (connect, negotiate, query-status) went past 500 ms once in about 60 rounds.
        await using var fleet = new QmpFleet(QmpFleetOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(1) });
        fleet.Add("vm", server.Endpoint);
        await fleet.ExecuteAsync("vm", "query-status");

        var gate = server.HoldReplies();
        var results = await fleet.FanOutAsync("stop");
        gate.Open();
        await fleet.ExecuteAsync("vm", "query-status");

        Assert.That(results.Single().Error, Is.TypeOf<QmpCommandTimeoutException>());
        Assert.That(fleet.ConnectionsMade("vm"), Is.EqualTo(1));
    }
}
