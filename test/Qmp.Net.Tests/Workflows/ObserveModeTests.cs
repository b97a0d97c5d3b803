using System.Text.Json.Nodes;
using Qmp.Net.Jobs;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Workflows;

/// <summary>A job manager that only observes (<see cref="QmpJobOptions.ObserveOnly"/>), as the shell uses it: it follows
/// jobs it did not start and never dismisses, finalizes or cancels one.</summary>
public class ObserveModeTests
{
    private static readonly string[] s_manageCommands = ["job-dismiss", "job-finalize", "job-cancel", "block-job-cancel", "job-complete"];

    private static object Status(string id, string status) => new { id, status };

    private static JsonObject Info(string id, string status, string? error = null)
    {
        var info = new JsonObject { ["id"] = id, ["type"] = "mirror", ["status"] = status, ["current-progress"] = 10, ["total-progress"] = 20 };
        if (error is not null)
        {
            info["error"] = error;
        }

        return info;
    }

    [Test]
    public async Task A_job_the_manager_did_not_start_is_seen_through_every_state_and_never_dismissed()
    {
        await using var server = await QmpTestServer.StartAsync();
        var listed = new JsonArray();
        server.Handle("query-jobs", _ => listed.DeepClone());
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true });

        // Someone else starts a mirror: the observer learns of it from the events alone.
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "created"));
        listed = [Info("m1", "created")];
        var job = (await jobs.AttachAsync().Bounded()).Single();
        Assert.That(job.Id, Is.EqualTo("m1"));

        foreach (var status in new[] { QmpJobStatus.Running, QmpJobStatus.Paused, QmpJobStatus.Running, QmpJobStatus.Ready, QmpJobStatus.Standby, QmpJobStatus.Ready, QmpJobStatus.Waiting, QmpJobStatus.Pending })
        {
            var name = status.ToString().ToLowerInvariant();
            if (status == QmpJobStatus.Ready)
            {
                await server.EmitEventAsync("BLOCK_JOB_READY", new { device = "m1", type = "mirror", len = 20, offset = 20, speed = 0 });
            }

            await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", name));
            await job.WaitForStatusAsync(status).Bounded();
            Assert.That(job.Completion.IsCompleted, Is.False, name);
        }

        listed = [Info("m1", "concluded")];
        await server.EmitEventAsync("BLOCK_JOB_COMPLETED", new { device = "m1", type = "mirror", len = 20, offset = 20, speed = 0 });
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "concluded"));
        await job.Completion.Bounded();

        Assert.That(job.Status, Is.EqualTo(QmpJobStatus.Concluded), "still concluded: nobody dismissed it");
        Assert.That(jobs.Jobs, Does.Contain(job), "an ended job QEMU still has stays listed");
        Assert.That((await jobs.AttachAsync().Bounded()).Single(), Is.SameAs(job));
        await job.DisposeAsync();
        Assert.That(server.Commands.Select(c => c.Name), Has.None.AnyOf(s_manageCommands));

        // The user dismisses it by hand; the next look forgets it.
        listed = [];
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "null"));
        Assert.That(await jobs.AttachAsync().Bounded(), Is.Empty);
        Assert.That(jobs.Jobs, Is.Empty);
    }

    [Test]
    public async Task A_failed_job_started_elsewhere_fails_with_QEMUs_error_and_is_left_for_its_owner_to_dismiss()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-jobs", _ => new JsonArray { Info("b1", "concluded", "Input/output error") });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true, DismissConcludedJobs = true });

        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "running"));
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "aborting"));
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "concluded"));
        var job = (await jobs.AttachAsync().Bounded()).Single();
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion.Bounded());

        Assert.That(failure!.QemuError, Is.EqualTo("Input/output error"));
        Assert.That(jobs.Jobs, Does.Contain(job));
        await jobs.DisposeAsync();
        Assert.That(server.Commands.Select(c => c.Name), Has.None.AnyOf(s_manageCommands));
    }

    [Test]
    public async Task A_running_job_that_vanished_from_query_jobs_ends_with_what_its_events_said()
    {
        await using var server = await QmpTestServer.StartAsync();
        var listed = new JsonArray { Info("s1", "running") };
        server.Handle("query-jobs", _ => listed.DeepClone());
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true });
        var job = (await jobs.AttachAsync().Bounded()).Single();

        // Its completion event came, then it went away unseen as a status (auto-dismissed while status events were lost).
        await server.EmitEventAsync("BLOCK_JOB_COMPLETED", new { device = "s1", type = "stream", len = 1, offset = 1, speed = 0 });
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("s1", "waiting"));
        await job.WaitForStatusAsync(QmpJobStatus.Waiting).Bounded();
        listed = [];
        Assert.That(await jobs.AttachAsync().Bounded(), Is.Empty);

        await job.Completion.Bounded();
        Assert.That(job.Status, Is.EqualTo(QmpJobStatus.Null));
        Assert.That(jobs.Jobs, Is.Empty);
    }

    [Test]
    public async Task An_observer_starts_nothing_and_takes_no_handle_for_a_job_whose_first_sign_is_its_end()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-jobs", _ => new JsonArray { Info("new", "created") });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true });

        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1" }));
        Assert.That(refused!.Message, Does.Contain("ObserveOnly"));
        Assert.That(server.Commands.Any(c => c.Name == "blockdev-mirror"), Is.False);

        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("old", "null"));
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("new", "created"));
        var job = (await jobs.AttachAsync().Bounded()).Single();
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("new", "running"));
        await job.WaitForStatusAsync(QmpJobStatus.Running).Bounded();

        // Events are handled in order: the null status of "old" was handled before "new" ran.
        Assert.That(jobs.Jobs.Select(j => j.Id), Is.EqualTo(new[] { "new" }));
    }
    [Test]
    [Repeat(5)]
    public async Task A_job_whose_event_is_read_but_not_yet_handled_is_not_reported_gone_by_a_look_at_that_moment()
    {
        await using var server = await QmpTestServer.StartAsync();
        var listed = new JsonArray { Info("c1", "running") };
        server.Handle("query-jobs", _ => listed.DeepClone());
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true });
        var job = (await jobs.AttachAsync().Bounded()).Single();

        // The manager's loop has taken the job's completion event (with QEMU's error) off its queue and is about to handle
        // it, when a look at query-jobs finds the job gone (its owner dismissed it).
        using var taken = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        jobs.EventTaken = e =>
        {
            if (e.Name == "BLOCK_JOB_COMPLETED")
            {
                taken.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };
        await server.EmitEventAsync("BLOCK_JOB_COMPLETED", new { device = "c1", type = "commit", len = 1, offset = 0, speed = 0, error = "Input/output error" });
        try
        {
            Assert.That(await Task.Run(() => taken.Wait(TimeSpan.FromSeconds(10))), Is.True);
            listed = [];
            await jobs.AttachAsync().Bounded();
            Assert.That(job.Completion.IsCompleted, Is.False, "an event of the job was still being handled: the look must not end it");
        }
        finally
        {
            release.Set();
        }

        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("c1", "null"));
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion.Bounded());
        Assert.That(failure!.QemuError, Is.EqualTo("Input/output error"));
    }
}
