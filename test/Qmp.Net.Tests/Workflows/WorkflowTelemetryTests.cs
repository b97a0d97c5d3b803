using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Workflows;

/// <summary>One activity per job and per migration with its outcome, and the workflow counters.</summary>
[NonParallelizable]
public class WorkflowTelemetryTests
{
    [Test]
    public async Task A_failed_job_and_a_completed_migration_each_end_an_activity_with_their_outcome_and_are_counted()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == QmpTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (stopped) { stopped.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        var counted = new List<(string Instrument, string? Outcome)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Name == QmpTelemetry.Name && i.Name is "qmp.client.jobs" or "qmp.client.migrations") { l.EnableMeasurementEvents(i); } },
        };
        meters.SetMeasurementEventCallback<long>((i, _, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "qmp.outcome")
                {
                    outcome = (string?)tag.Value;
                }
            }

            lock (counted) { counted.Add((i.Name, outcome)); }
        });
        meters.Start();

        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-mirror", _ => new { });
        server.Handle("query-jobs", _ => new JsonArray { (JsonNode)new JsonObject { ["id"] = "tm", ["type"] = "mirror", ["status"] = "concluded", ["current-progress"] = 0, ["total-progress"] = 1, ["error"] = "boom" } });
        server.Handle("job-dismiss", _ => new { });
        server.Handle("migrate-set-capabilities", _ => new { });
        server.Handle("migrate", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);

        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "tm" }).Bounded();
        await server.EmitEventAsync("JOB_STATUS_CHANGE", new { id = "tm", status = "concluded" });
        Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion.Bounded());
        await using var migration = await QmpMigration.StartAsync(client, "unix:/tmp/x.sock").Bounded();
        await server.EmitEventAsync("MIGRATION", new { status = "completed" });
        await migration.Completion.Bounded();

        Activity jobActivity, migrationActivity;
        lock (stopped)
        {
            jobActivity = stopped.Single(a => a.OperationName == "qmp.job" && (string?)a.GetTagItem("qmp.job.id") == "tm");
            migrationActivity = stopped.Last(a => a.OperationName == "qmp.migration");
        }

        Assert.Multiple(() =>
        {
            Assert.That(jobActivity.GetTagItem("qmp.outcome"), Is.EqualTo("failed"));
            Assert.That(jobActivity.GetTagItem("qmp.job.type"), Is.EqualTo("mirror"));
            Assert.That(jobActivity.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(migrationActivity.GetTagItem("qmp.outcome"), Is.EqualTo("success"));
            Assert.That(migrationActivity.Events.Select(e => e.Name), Does.Contain("status completed"));
            Assert.That(counted, Does.Contain(("qmp.client.jobs", (string?)"failed")));
            Assert.That(counted, Does.Contain(("qmp.client.migrations", (string?)"success")));
        });
    }
}
