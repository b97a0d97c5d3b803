using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Internal;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>The metrics and traces of the Qmp.Net meter and activity source, with the outcomes of real commands over a
/// real socket. The instruments are process-wide, so this fixture runs alone and uses command names of its own.</summary>
[NonParallelizable]
public sealed class TelemetryTests
{
    [Test]
    public async Task A_successful_command_is_counted_timed_and_leaves_nothing_in_flight()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qmp.client.commands");
        using var duration = new MetricCollector<double>(Telemetry.Meter, "qmp.client.command.duration");
        using var inFlight = new MetricCollector<long>(Telemetry.Meter, "qmp.client.commands.in_flight");
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("tel-ok", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteAsync("tel-ok").Bounded();

        var counted = commands.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "tel-ok").ToList();
        var timed = duration.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "tel-ok").ToList();
        var flight = inFlight.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "tel-ok").Select(m => m.Value).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(counted, Has.Count.EqualTo(1));
            Assert.That(counted[0].Value, Is.EqualTo(1));
            Assert.That(counted[0].Tags["qmp.outcome"], Is.EqualTo("success"));
            Assert.That(counted[0].Tags.ContainsKey("error.type"), Is.False);
            Assert.That(timed, Has.Count.EqualTo(1));
            Assert.That(timed[0].Value, Is.GreaterThan(0).And.LessThan(10));
            Assert.That(flight, Is.EqualTo(new long[] { 1, -1 }));
            Assert.That(Telemetry.CommandDuration.Unit, Is.EqualTo("s"));
            Assert.That(Telemetry.Commands.Unit, Is.EqualTo("{command}"));
        });
    }

    [Test]
    public async Task An_error_reply_is_tagged_with_its_QMP_error_class()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qmp.client.commands");
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("tel-error", "DeviceNotFound", "no such device");
        await using var client = await TestSupport.ConnectAsync(server);

        await TestSupport.ErrorOf(client.ExecuteAsync("tel-error"));

        var counted = commands.GetMeasurementSnapshot().Single(m => Method(m.Tags) == "tel-error");
        Assert.That(counted.Tags["qmp.outcome"], Is.EqualTo("error"));
        Assert.That(counted.Tags["error.type"], Is.EqualTo("DeviceNotFound"));
    }

    [Test]
    public async Task A_transaction_timeout_and_a_cancellation_have_outcomes_of_their_own()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qmp.client.commands");
        var time = new FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("tel-hang");
        server.NeverReply("tel-cancel");
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { TimeProvider = time, TransactionTimeout = TimeSpan.FromSeconds(5) });
        using var cts = new CancellationTokenSource();

        var cancelled = client.ExecuteAsync("tel-cancel", cancellationToken: cts.Token);
        await server.WaitForCommandAsync("tel-cancel").Bounded();
        await cts.CancelAsync();
        await TestSupport.ErrorOf(cancelled);
        var hang = client.ExecuteAsync("tel-hang");
        await server.WaitForCommandAsync("tel-hang").Bounded();
        time.Advance(TimeSpan.FromSeconds(5));
        await TestSupport.ErrorOf(hang);

        var snapshot = commands.GetMeasurementSnapshot();
        Assert.That(snapshot.Single(m => Method(m.Tags) == "tel-cancel").Tags["qmp.outcome"], Is.EqualTo("cancelled"));
        Assert.That(snapshot.Single(m => Method(m.Tags) == "tel-hang").Tags["qmp.outcome"], Is.EqualTo("timeout"));
        Assert.That(snapshot.Single(m => Method(m.Tags) == "tel-hang").Tags["error.type"], Is.EqualTo("TransactionTimeout"));
    }

    [Test]
    public async Task A_command_is_a_client_activity_under_the_callers_activity_and_leaves_the_callers_context_alone()
    {
        var stopped = new List<Activity>();
        using var listener = Listen(stopped);
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("tel-traced", _ => null);
        server.HandleError("tel-traced-error", "GenericError", "nope");
        await using var client = await TestSupport.ConnectAsync(server);
        using var parent = new Activity("caller").Start();

        await client.ExecuteAsync("tel-traced").Bounded();
        var currentAfterCall = Activity.Current;
        await TestSupport.ErrorOf(client.ExecuteAsync("tel-traced-error"));

        var ok = stopped.Single(a => a.DisplayName == "tel-traced");
        var failed = stopped.Single(a => a.DisplayName == "tel-traced-error");
        Assert.Multiple(() =>
        {
            Assert.That(currentAfterCall, Is.SameAs(parent));
            Assert.That(ok.ParentId, Is.EqualTo(parent.Id));
            Assert.That(ok.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(ok.GetTagItem("rpc.system"), Is.EqualTo("qmp"));
            Assert.That(ok.GetTagItem("rpc.method"), Is.EqualTo("tel-traced"));
            Assert.That(ok.GetTagItem("server.address"), Is.EqualTo(((QmpUnixEndpoint)server.Endpoint).Path));
            Assert.That(ok.Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(failed.GetTagItem("error.type"), Is.EqualTo("GenericError"));
        });
    }

    [Test]
    public async Task An_event_that_arrives_while_a_command_is_in_flight_becomes_an_activity_event()
    {
        var stopped = new List<Activity>();
        using var listener = Listen(stopped);
        using var events = new MetricCollector<long>(Telemetry.Meter, "qmp.client.events");
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("tel-slow", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        var slow = client.ExecuteAsync("tel-slow");
        await server.WaitForCommandAsync("tel-slow").Bounded();
        var seen = client.WaitForEventAsync("TEL_EVENT");
        await server.EmitEventAsync("TEL_EVENT").Bounded();
        await seen.Bounded();
        gate.Open();
        await slow.Bounded();

        var activity = stopped.Single(a => a.DisplayName == "tel-slow");
        Assert.That(activity.Events.Select(e => e.Name), Is.EqualTo(new[] { "qmp.event" }));
        Assert.That(activity.Events.Single().Tags.Single(t => t.Key == "qmp.event.name").Value, Is.EqualTo("TEL_EVENT"));
        Assert.That(events.GetMeasurementSnapshot().Count(m => (string?)m.Tags["qmp.event.name"] == "TEL_EVENT"), Is.EqualTo(1));
    }

    [Test]
    public async Task Dropped_events_are_counted_by_name()
    {
        using var dropped = new MetricCollector<long>(Telemetry.Meter, "qmp.client.events.dropped");
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EventBufferCapacity = 1 });
        var last = client.WaitForEventAsync("TEL_DROP", e => e.Sequence == 3);

        for (var i = 0; i < 3; i++)
        {
            await server.EmitEventAsync("TEL_DROP").Bounded();
        }

        await last.Bounded();
        Assert.That(dropped.GetMeasurementSnapshot().Where(m => (string?)m.Tags["qmp.event.name"] == "TEL_DROP").Sum(m => m.Value), Is.EqualTo(2));
    }

    [Test]
    public async Task Connections_and_bytes_are_counted()
    {
        using var opened = new MetricCollector<long>(Telemetry.Meter, "qmp.client.connections.opened");
        using var closed = new MetricCollector<long>(Telemetry.Meter, "qmp.client.connections.closed");
        using var sent = new MetricCollector<long>(Telemetry.Meter, "qmp.client.bytes.sent");
        using var received = new MetricCollector<long>(Telemetry.Meter, "qmp.client.bytes.received");
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("tel-bytes", _ => null);

        var client = await TestSupport.ConnectAsync(server);
        await client.ExecuteAsync("tel-bytes").Bounded();
        await client.DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(opened.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
            Assert.That(closed.GetMeasurementSnapshot().Single().Tags["qmp.close.reason"], Is.EqualTo("client"));
            Assert.That(sent.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo("""{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}""".Length + """{"execute":"tel-bytes"}""".Length));
            Assert.That(received.GetMeasurementSnapshot().Sum(m => m.Value), Is.GreaterThan(20));
        });
    }

    [Test]
    public void Tag_values_for_names_are_bounded()
    {
        var names = new Telemetry.BoundedNames(3);

        var tags = new[] { "a", "b", "c", "d", "a", "e" }.Select(names.Tag).ToList();

        Assert.That(tags, Is.EqualTo(new[] { "a", "b", "c", Telemetry.OtherCommand, "a", Telemetry.OtherCommand }));
    }

    private static string? Method(IReadOnlyDictionary<string, object?> tags) => tags.TryGetValue("rpc.method", out var v) ? v as string : null;

    private static ActivityListener Listen(List<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == QmpTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (stopped)
                {
                    stopped.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
