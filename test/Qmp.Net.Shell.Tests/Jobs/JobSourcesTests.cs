using System.Text.Json;
using Qmp.Net.Shell.Jobs;

namespace Qmp.Net.Shell.Tests.Jobs;

public class JobSourcesTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Test]
    public void Query_migrate_progress_is_the_share_of_RAM_no_longer_remaining()
    {
        var active = MigrationProgressSource.FromQueryMigrate(Json("""{"status":"active","ram":{"transferred":900,"total":1000,"remaining":250}}"""));
        Assert.That(active.Fraction, Is.EqualTo(0.75));
        Assert.That(active.Finished, Is.False);

        var completed = MigrationProgressSource.FromQueryMigrate(Json("""{"status":"completed","ram":{"transferred":1200,"total":1000,"remaining":0}}"""));
        Assert.That(completed.Fraction, Is.EqualTo(1));
        Assert.That(completed.Finished, Is.True);

        var failed = MigrationProgressSource.FromQueryMigrate(Json("""{"status":"failed","error-desc":"no route"}"""));
        Assert.That(failed.Finished, Is.True);
        Assert.That(failed.Note, Is.EqualTo("failed: no route"));

        Assert.That(MigrationProgressSource.FromQueryMigrate(Json("{}")).Note, Is.EqualTo("no migration is running"));
    }

    [Test]
    public async Task Job_events_give_status_and_the_block_job_events_give_progress()
    {
        await using var client = new QmpClient(QmpEndpoint.Unix("/nonexistent"));
        var tracker = new JobTracker(client);
        var changed = tracker.Changed;
        tracker.OnEvent(new QmpEvent("JOB_STATUS_CHANGE", Json("""{"id":"m0","status":"running"}"""), DateTimeOffset.UnixEpoch));
        Assert.That(changed.IsCompleted, Is.True, "a job event wakes the progress display");
        Assert.That(tracker.Get("m0")!.Status, Is.EqualTo("running"));

        tracker.OnEvent(new QmpEvent("BLOCK_JOB_READY", Json("""{"device":"m0","len":64,"offset":64,"speed":0,"type":"mirror"}"""), DateTimeOffset.UnixEpoch));
        tracker.OnEvent(new QmpEvent("JOB_STATUS_CHANGE", Json("""{"id":"m0","status":"ready"}"""), DateTimeOffset.UnixEpoch));
        var job = tracker.Get("m0")!;
        Assert.That((job.Type, job.Status, job.Current, job.Total, job.Settled), Is.EqualTo(("mirror", "ready", 64L, 64L, true)));

        var unrelated = tracker.Changed;
        tracker.OnEvent(new QmpEvent("STOP", Json("{}"), DateTimeOffset.UnixEpoch));
        Assert.That(unrelated.IsCompleted, Is.False);
    }

    [TestCase("blockdev-mirror", true)]
    [TestCase("block-commit", true)]
    [TestCase("drive-backup", true)]
    [TestCase("query-status", false)]
    [TestCase("migrate", false)]
    public void Commands_that_start_jobs_are_known(string command, bool startsJob)
    {
        Assert.That(JobTracker.StartsJob(command), Is.EqualTo(startsJob));
    }
}
