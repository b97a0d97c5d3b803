using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Internal;
using Qmp.Net.Qga;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Qga;

/// <summary>The guest agent client's metrics and traces (<c>qga.client.*</c> on the Qmp.Net meter, activities with
/// <c>rpc.system</c> = <c>qga</c>), against a scripted agent on a real socket. The instruments are process-wide, so this
/// fixture runs alone and uses command names of its own.</summary>
[NonParallelizable]
public sealed class QgaTelemetryTests
{
    [Test]
    public async Task A_successful_command_is_counted_timed_and_leaves_nothing_in_flight()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qga.client.commands");
        using var duration = new MetricCollector<double>(Telemetry.Meter, "qga.client.command.duration");
        using var inFlight = new MetricCollector<long>(Telemetry.Meter, "qga.client.commands.in_flight");
        using var syncs = new MetricCollector<long>(Telemetry.Meter, "qga.client.syncs");
        await using var agent = new FakeGuestAgent(Answering("qga-tel-ok", "{}"));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        await client.ExecuteAsync("qga-tel-ok").Bounded();
        await client.ExecuteAsync("qga-tel-ok").Bounded();

        var counted = commands.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "qga-tel-ok").ToList();
        var timed = duration.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "qga-tel-ok").ToList();
        var flight = inFlight.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "qga-tel-ok").Select(m => m.Value).ToList();
        var synced = syncs.GetMeasurementSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(counted, Has.Count.EqualTo(2));
            Assert.That(counted.Select(m => m.Tags["qmp.outcome"]), Has.All.EqualTo("success"));
            Assert.That(counted[0].Tags.ContainsKey("error.type"), Is.False);
            Assert.That(timed, Has.Count.EqualTo(2));
            Assert.That(timed.Select(m => m.Value), Has.All.GreaterThan(0).And.All.LessThan(10));
            Assert.That(flight, Is.EqualTo(new long[] { 1, -1, 1, -1 }));
            Assert.That(synced, Has.Count.EqualTo(1), "only the first command resynchronises");
            Assert.That(synced[0].Tags["qga.sync.reason"], Is.EqualTo("first"));
            Assert.That(synced[0].Tags["qmp.outcome"], Is.EqualTo("success"));
            Assert.That(QgaTelemetry.CommandDuration.Unit, Is.EqualTo("s"));
            Assert.That(QgaTelemetry.Commands.Unit, Is.EqualTo("{command}"));
            Assert.That(QgaTelemetry.Syncs.Unit, Is.EqualTo("{sync}"));
        });
    }

    [Test]
    public async Task An_error_reply_is_tagged_with_the_agents_error_class()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qga.client.commands");
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
            }
            else
            {
                await a.SendAsync($$"""{"error": {"class": "CommandNotFound", "desc": "disabled"}, "id": {{FakeGuestAgent.Id(request)}}}""" + "\n");
            }
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        await TestSupport.ErrorOf(client.ExecuteAsync("qga-tel-error"));

        var counted = commands.GetMeasurementSnapshot().Single(m => Method(m.Tags) == "qga-tel-error");
        Assert.That(counted.Tags["qmp.outcome"], Is.EqualTo("error"));
        Assert.That(counted.Tags["error.type"], Is.EqualTo("CommandNotFound"));
    }

    [Test]
    public async Task A_timeout_on_the_fake_clock_and_a_cancellation_have_outcomes_of_their_own_and_the_resync_after_them_is_counted()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qga.client.commands");
        using var syncs = new MetricCollector<long>(Telemetry.Meter, "qga.client.syncs");
        var time = new FakeTimeProvider();
        await using var agent = new FakeGuestAgent(Answering("qga-tel-after", "{}"));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { TimeProvider = time, CommandTimeout = TimeSpan.FromSeconds(5) });

        var hang = client.ExecuteAsync("qga-tel-hang");
        var hangRequest = await agent.NextAsync("qga-tel-hang");
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(await TestSupport.ErrorOf(hang), Is.TypeOf<QgaTimeoutException>());
        await agent.ReplyAsync(hangRequest, """{"late": true}""");
        await client.ExecuteAsync("qga-tel-after").Bounded();
        using var cts = new CancellationTokenSource();
        var cancelled = client.ExecuteAsync("qga-tel-cancel", cancellationToken: cts.Token);
        await agent.NextAsync("qga-tel-cancel");
        await cts.CancelAsync();
        await TestSupport.ErrorOf(cancelled);
        await client.ExecuteAsync("qga-tel-after").Bounded();

        var snapshot = commands.GetMeasurementSnapshot();
        var reasons = syncs.GetMeasurementSnapshot().Select(m => (string)m.Tags["qga.sync.reason"]!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Single(m => Method(m.Tags) == "qga-tel-hang").Tags["qmp.outcome"], Is.EqualTo("timeout"));
            Assert.That(snapshot.Single(m => Method(m.Tags) == "qga-tel-hang").Tags["error.type"], Is.EqualTo("CommandTimeout"));
            Assert.That(snapshot.Single(m => Method(m.Tags) == "qga-tel-cancel").Tags["qmp.outcome"], Is.EqualTo("cancelled"));
            Assert.That(reasons, Is.EqualTo(new[] { "first", "timeout", "cancelled" }));
        });
    }

    [Test]
    public async Task A_reply_with_another_id_is_counted_as_discarded()
    {
        using var discarded = new MetricCollector<long>(Telemetry.Meter, "qga.client.messages.discarded");
        using var syncs = new MetricCollector<long>(Telemetry.Meter, "qga.client.syncs");
        await using var agent = new FakeGuestAgent(async (a, request) =>
        {
            if (FakeGuestAgent.Name(request) == "guest-sync-delimited")
            {
                await a.AnswerSyncAsync(request);
            }
            else
            {
                await a.SendAsync($$"""{"return": {"stale": true}, "id": {{FakeGuestAgent.Id(request) + 1000}}}""" + "\n");
                await a.ReplyAsync(request, "{}");
            }
        });
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        await client.ExecuteAsync("qga-tel-stale").Bounded();
        await client.ExecuteAsync("qga-tel-stale").Bounded();

        Assert.That(discarded.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));
        Assert.That(syncs.GetMeasurementSnapshot().Select(m => m.Tags["qga.sync.reason"]), Is.EqualTo(new[] { "first", "stale_reply" }));
    }

    [Test]
    public async Task A_timeout_on_the_real_clock_is_recorded_as_a_timeout_every_time()
    {
        using var commands = new MetricCollector<long>(Telemetry.Meter, "qga.client.commands");
        var rounds = Enumerable.Range(0, 50).Select(async _ =>
        {
            await using var agent = new FakeGuestAgent();
            await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { CommandTimeout = TimeSpan.FromMilliseconds(100) });
            return await TestSupport.ErrorOf(client.ExecuteAsync("qga-tel-real-clock"));
        });

        var errors = await Task.WhenAll(rounds).WaitAsync(TimeSpan.FromSeconds(30));

        var recorded = commands.GetMeasurementSnapshot().Where(m => Method(m.Tags) == "qga-tel-real-clock").ToList();
        Assert.That(errors, Has.All.TypeOf<QgaTimeoutException>());
        Assert.That(recorded, Has.Count.EqualTo(50));
        Assert.That(recorded.Select(m => m.Tags["qmp.outcome"]), Has.All.EqualTo("timeout"));
    }

    [Test]
    public async Task Each_command_is_an_activity_of_the_agent_with_the_callers_parent_and_its_resync_as_an_event()
    {
        var stopped = new List<Activity>();
        using var listener = Listen(stopped);
        await using var agent = new FakeGuestAgent(Answering("qga-tel-act", """{"x": 1}"""));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);
        using var parent = new Activity("caller").Start();

        await client.ExecuteAsync("qga-tel-act").Bounded();
        var currentAfterCall = Activity.Current;
        await client.FireAsync("qga-tel-fire").Bounded();
        await client.ExecuteAsync("qga-tel-act").Bounded();

        List<Activity> ours;
        lock (stopped)
        {
            ours = stopped.Where(a => a.OperationName is "qga-tel-act" or "qga-tel-fire").ToList();
        }

        Assert.Multiple(() =>
        {
            Assert.That(currentAfterCall, Is.SameAs(parent), "the caller's current activity is untouched");
            Assert.That(ours.Select(a => a.OperationName), Is.EqualTo(new[] { "qga-tel-act", "qga-tel-fire", "qga-tel-act" }));
            Assert.That(ours, Has.All.Property(nameof(Activity.Kind)).EqualTo(ActivityKind.Client));
            Assert.That(ours.Select(a => a.ParentId), Has.All.EqualTo(parent.Id));
            Assert.That(ours[0].GetTagItem("rpc.system"), Is.EqualTo("qga"));
            Assert.That(ours[0].GetTagItem("rpc.method"), Is.EqualTo("qga-tel-act"));
            Assert.That(ours[0].GetTagItem("network.transport"), Is.EqualTo("unix"));
            Assert.That(ours[0].GetTagItem("server.address"), Is.EqualTo(agent.Path));
            Assert.That(ours[0].GetTagItem("qga.fire"), Is.EqualTo(false));
            Assert.That(ours[1].GetTagItem("qga.fire"), Is.EqualTo(true));
            Assert.That(ours[0].Events.Single().Name, Is.EqualTo("qga.sync"));
            Assert.That(ours[0].Events.Single().Tags.First(t => t.Key == "qga.sync.reason").Value, Is.EqualTo("first"));
            Assert.That(ours[1].Events, Is.Empty, "the fired command needed no resync before it");
            Assert.That(ours[2].Events.Single().Tags.First(t => t.Key == "qga.sync.reason").Value, Is.EqualTo("fire"));
        });
    }

    [Test]
    public async Task A_failed_command_has_an_error_status_and_type()
    {
        var stopped = new List<Activity>();
        using var listener = Listen(stopped);
        var time = new FakeTimeProvider();
        await using var agent = new FakeGuestAgent();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { TimeProvider = time, CommandTimeout = TimeSpan.FromSeconds(1) });

        var hang = client.ExecuteAsync("qga-tel-act-hang");
        await agent.NextAsync("qga-tel-act-hang");
        time.Advance(TimeSpan.FromSeconds(1));
        await TestSupport.ErrorOf(hang);

        Activity failed;
        lock (stopped)
        {
            failed = stopped.Single(a => a.OperationName == "qga-tel-act-hang");
        }

        Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(failed.GetTagItem("error.type"), Is.EqualTo("CommandTimeout"));
    }

    [Test]
    public async Task Nothing_is_measured_when_nobody_listens()
    {
        await using var agent = new FakeGuestAgent(Answering("qga-tel-quiet", "{}"));
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint);

        var observed = QgaTelemetry.CommandsObserved;
        await client.ExecuteAsync("qga-tel-quiet").Bounded();

        Assert.That(observed, Is.False, "no listener in this test: the hooks are skipped");
    }

    private static string? Method(IReadOnlyDictionary<string, object?> tags) => tags.TryGetValue("rpc.method", out var v) ? v as string : null;

    private static Func<FakeGuestAgent, JsonElement, Task> Answering(string command, string returnJson) => (agent, request) =>
        FakeGuestAgent.Name(request) switch
        {
            "guest-sync-delimited" => agent.AnswerSyncAsync(request),
            var name when name == command => agent.ReplyAsync(request, returnJson),
            _ => Task.CompletedTask,
        };

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
