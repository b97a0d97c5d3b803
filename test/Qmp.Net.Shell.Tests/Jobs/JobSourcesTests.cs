using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Testing;
using Qmp.Net.Shell.Jobs;

namespace Qmp.Net.Shell.Tests.Jobs;

public class JobSourcesTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Test]
    public void Migration_progress_is_the_share_of_RAM_no_longer_remaining()
    {
        var active = MigrationProgressSource.FromProgress(new QmpMigrationProgress(QmpMigrationStatus.Active, 900, 250, 1000, 0, 0, 0));
        Assert.That(active.Fraction, Is.EqualTo(0.75));
        Assert.That(active.Finished, Is.False);

        var completed = MigrationProgressSource.FromProgress(new QmpMigrationProgress(QmpMigrationStatus.Completed, 1200, 0, 1000, 0, 0, 0));
        Assert.That(completed.Fraction, Is.EqualTo(1));
        Assert.That(completed.Finished, Is.True);

        var failed = MigrationProgressSource.FromProgress(new QmpMigrationProgress(QmpMigrationStatus.Failed, 0, 0, 0, 0, 0, 0) { ErrorDescription = "no route" });
        Assert.That(failed.Finished, Is.True);
        Assert.That(failed.Note, Is.EqualTo("failed: no route"));

        Assert.That(MigrationProgressSource.FromProgress(default).Note, Is.EqualTo("no migration is running"));
        Assert.That(MigrationProgressSource.FromProgress(default(QmpMigrationProgress) with { Status = QmpMigrationStatus.PostcopyActive }).Status, Is.EqualTo("postcopy-active"));
    }

    [Test]
    public async Task A_job_started_by_hand_is_shown_from_the_observing_manager_through_all_its_states_and_never_dismissed()
    {
        await using var server = await QmpTestServer.StartAsync();
        var dismissed = 0;
        var status = "running";
        server.Handle("query-jobs", _ => new JsonArray { new JsonObject { ["id"] = "m0", ["type"] = "mirror", ["status"] = status, ["current-progress"] = 32, ["total-progress"] = 64 } });
        server.Handle("job-dismiss", _ => { Interlocked.Increment(ref dismissed); return new JsonObject(); });
        await using var client = await QmpClient.ConnectAsync(server.Endpoint);
        await using var watcher = new JobWatcher(client);
        var changed = watcher.Changed;

        var job = (await watcher.ListAsync(CancellationToken.None)).Single();
        var source = new JobProgressSource(watcher, job);
        var running = await source.PollAsync(CancellationToken.None);
        Assert.That((running.Label, running.Kind, running.Status, running.Current, running.Total, running.Finished), Is.EqualTo(("m0", "mirror", "running", 32L, 64L, false)));

        var readyEvent = new QmpEvent("JOB_STATUS_CHANGE", Json("""{"id":"m0","status":"ready"}"""), DateTimeOffset.UnixEpoch);
        watcher.OnEvent(readyEvent);
        Assert.That(changed.IsCompleted, Is.True, "a job event wakes the progress display");
        status = "ready";
        await server.EmitEventAsync("JOB_STATUS_CHANGE", new { id = "m0", status = "ready" });
        await job.WaitForStatusAsync(QmpJobStatus.Ready).WaitAsync(TimeSpan.FromSeconds(10));
        var ready = await source.PollAsync(CancellationToken.None);
        Assert.That((ready.Status, ready.Finished), Is.EqualTo(("ready", true)));
        Assert.That(ready.Note, Does.StartWith("ready: 'job-complete id=m0'"));

        status = "concluded";
        await server.EmitEventAsync("JOB_STATUS_CHANGE", new { id = "m0", status = "concluded" });
        await job.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        var concluded = await source.PollAsync(CancellationToken.None);
        Assert.That((concluded.Status, concluded.Note), Is.EqualTo(("concluded", "concluded: 'job-dismiss id=m0' removes it")));
        Assert.That(dismissed, Is.Zero, "the shell never dismisses a job");

        var unrelated = watcher.Changed;
        watcher.OnEvent(new QmpEvent("STOP", Json("{}"), DateTimeOffset.UnixEpoch));
        Assert.That(unrelated.IsCompleted, Is.False);
    }

    [TestCase("blockdev-mirror", true)]
    [TestCase("block-commit", true)]
    [TestCase("drive-backup", true)]
    [TestCase("query-status", false)]
    [TestCase("migrate", false)]
    public void Commands_that_start_jobs_are_known(string command, bool startsJob)
    {
        Assert.That(JobWatcher.StartsJob(command), Is.EqualTo(startsJob));
    }
}
