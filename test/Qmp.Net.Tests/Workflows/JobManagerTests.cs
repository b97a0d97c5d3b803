using System.Text.Json.Nodes;
using Qmp.Net.Jobs;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Workflows;

/// <summary>The orderings real QEMU rarely shows, against the fake server: events before the reply, a job concluded
/// before the first poll, a job gone from query-jobs, READY blips, a lost connection.</summary>
public class JobManagerTests
{
    private static object Status(string id, string status) => new { id, status };

    /// <summary>block-stream "s1": running, completed and concluded before the reply; query-jobs lists it concluded
    /// without an error; job-dismiss succeeds.</summary>
    private static void HandleAStreamThatEndsWellBeforeItsReply(QmpTestServer server)
    {
        server.Handle("block-stream", async (_, ct) =>
        {
            await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("s1", "running"), cancellationToken: ct);
            await server.EmitEventAsync("BLOCK_JOB_COMPLETED", new { device = "s1", type = "stream", len = 1, offset = 1, speed = 0 }, cancellationToken: ct);
            await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("s1", "concluded"), cancellationToken: ct);
            return new { };
        });
        server.Handle("query-jobs", _ => new JsonArray { (JsonNode)JobInfo("s1", "concluded") });
        server.Handle("job-dismiss", _ => new { });
    }

    private static object JobInfo(string id, string status, string? error = null) => error is null
        ? new JsonObject { ["id"] = id, ["type"] = "mirror", ["status"] = status, ["current-progress"] = 10, ["total-progress"] = 20 }
        : new JsonObject { ["id"] = id, ["type"] = "mirror", ["status"] = status, ["current-progress"] = 10, ["total-progress"] = 20, ["error"] = error };

    [Test]
    public async Task A_job_that_concluded_before_its_reply_fails_with_the_error_from_query_jobs()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-mirror", async (_, ct) =>
        {
            foreach (var s in new[] { "created", "running", "aborting", "concluded" })
            {
                await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", s), cancellationToken: ct);
            }

            return new { };
        });
        server.Handle("query-jobs", _ => new JsonArray { (JsonNode)JobInfo("m1", "concluded", "Source and target image have different sizes") });
        server.Handle("job-dismiss", async (_, ct) =>
        {
            await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "null"), cancellationToken: ct);
            return new { };
        });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);

        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full" }).Bounded();
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion.Bounded());
        var sent = server.Commands.Single(c => c.Name == "blockdev-mirror").Arguments;

        Assert.Multiple(() =>
        {
            Assert.That(failure!.JobId, Is.EqualTo("m1"));
            Assert.That(failure.JobType, Is.EqualTo("mirror"));
            Assert.That(failure.FinalStatus, Is.EqualTo(QmpJobStatus.Concluded));
            Assert.That(failure.QemuError, Is.EqualTo("Source and target image have different sizes"));
            Assert.That(failure.Message, Does.Contain("Source and target image have different sizes"));
            Assert.That(sent.GetProperty("auto-dismiss").GetBoolean(), Is.False, "QEMU keeps the error until it was read");
            Assert.That(server.Commands.Count(c => c.Name == "job-dismiss"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_job_gone_from_query_jobs_takes_its_error_from_BLOCK_JOB_COMPLETED()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-backup", _ => new { });
        server.Handle("query-jobs", _ => new JsonArray());
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var job = await jobs.StartAsync("blockdev-backup", new JsonObject { ["job-id"] = "b1", ["auto-dismiss"] = true }).Bounded();

        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "running"));
        await server.EmitEventAsync("BLOCK_JOB_COMPLETED", new { device = "b1", type = "backup", len = 1, offset = 0, speed = 0, error = "Input/output error" });
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "concluded"));
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion.Bounded());

        Assert.That(failure!.QemuError, Is.EqualTo("Input/output error"));
        Assert.That(server.Commands.Any(c => c.Name == "job-dismiss"), Is.False, "nothing left to dismiss");
    }

    [Test]
    public async Task A_job_gone_without_any_completion_event_fails_as_outcome_unknown()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("snapshot-save", _ => new { });
        server.Handle("query-jobs", _ => new JsonArray());
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var job = await jobs.StartAsync("snapshot-save", new JsonObject { ["job-id"] = "s1" }).Bounded();

        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("s1", "concluded"));
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion.Bounded());

        Assert.That(failure!.QemuError, Is.Null);
        Assert.That(failure.Message, Does.Contain("no error text"));
    }

    [Test]
    public async Task A_READY_blip_makes_CompleteAsync_wait_for_the_next_ready_and_try_again()
    {
        await using var server = await QmpTestServer.StartAsync();
        var completes = 0;
        var queries = 0;
        server.Handle("blockdev-mirror", async (_, ct) =>
        {
            await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "ready"), cancellationToken: ct);
            return new { };
        });
        server.Handle("job-complete", async (_, ct) =>
        {
            if (Interlocked.Increment(ref completes) == 1)
            {
                await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "running"), cancellationToken: ct);
                throw new QmpTestServerError("GenericError", "Job 'm1' in state 'running' cannot accept command verb 'complete'");
            }

            return new { };
        });
        server.Handle("query-jobs", _ => new JsonArray { (JsonNode)JobInfo("m1", Interlocked.Increment(ref queries) == 1 ? "running" : "ready") });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1" }).Bounded();

        var complete = job.CompleteAsync();
        await server.WaitForCommandAsync("query-jobs").Bounded();
        var waitedForReady = !complete.IsCompleted;
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "ready"));
        await complete.Bounded();

        Assert.That(waitedForReady, Is.True);
        Assert.That(completes, Is.EqualTo(2));
    }

    [Test]
    public async Task CompleteAsync_on_a_job_that_already_ended_well_returns_at_once()
    {
        await using var server = await QmpTestServer.StartAsync();
        HandleAStreamThatEndsWellBeforeItsReply(server);
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var job = await jobs.StartAsync("block-stream", new JsonObject { ["job-id"] = "s1" }).Bounded();

        await job.Completion.Bounded();
        await job.CompleteAsync().Bounded();

        Assert.That(server.Commands.Any(c => c.Name == "job-complete"), Is.False);
    }

    [Test]
    public async Task A_job_whose_Completion_has_ended_is_no_longer_listed_in_Jobs()
    {
        // The thread ending the handle is held just before the manager lets go of it. Completion used to end first, so an
        // awaiter could find the ended job still in Jobs (seen on a loaded machine with QEMU 10.0: "mirror job 'm1' (null)").
        await using var server = await QmpTestServer.StartAsync();
        HandleAStreamThatEndsWellBeforeItsReply(server);
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        using var observed = new ManualResetEventSlim();
        jobs.HandleEnding = _ => observed.Wait(TimeSpan.FromSeconds(2));

        var job = await jobs.StartAsync("block-stream", new JsonObject { ["job-id"] = "s1" }).Bounded();
        await job.Completion.Bounded();
        var listed = jobs.Jobs;
        observed.Set();

        Assert.That(listed, Is.Empty, "Completion ended while the manager still listed the job");
    }

    [Test]
    public async Task A_lost_connection_fails_every_handle_at_once_with_the_same_error()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-mirror", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var first = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "a" }).Bounded();
        var second = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "b" }).Bounded();

        server.ResetConnection();
        var one = await TestSupport.ErrorOf(first.Completion.Bounded());
        var two = await TestSupport.ErrorOf(second.Completion.Bounded());

        Assert.Multiple(() =>
        {
            Assert.That(one, Is.InstanceOf<QmpException>().And.Not.InstanceOf<QmpJobException>());
            Assert.That(two, Is.SameAs(one));
            Assert.That(jobs.Jobs, Is.Empty);
        });
        Assert.ThrowsAsync(one!.GetType(), () => jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "c" }));
    }

    [Test]
    public async Task A_pause_without_BLOCK_JOB_ERROR_is_not_an_error_pause_but_one_with_action_stop_is()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-backup", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var job = await jobs.StartAsync("blockdev-backup", new JsonObject { ["job-id"] = "b1" }).Bounded();

        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "paused"));
        await job.WaitForStatusAsync(QmpJobStatus.Paused).Bounded();
        var transient = job.IsPausedOnError;
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "running"));
        await job.WaitForStatusAsync(QmpJobStatus.Running).Bounded();
        await server.EmitEventAsync("BLOCK_JOB_ERROR", new { device = "b1", operation = "write", action = "stop" });
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "paused"));
        await job.WaitForStatusAsync(QmpJobStatus.Paused).Bounded();
        var onError = job.IsPausedOnError;
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("b1", "running"));
        await job.WaitForStatusAsync(QmpJobStatus.Running).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(transient, Is.False);
            Assert.That(onError, Is.True);
            Assert.That(job.IsPausedOnError, Is.False, "resumed");
            Assert.That(job.LastIoError, Is.EqualTo(new QmpJobIoError("write", "stop")));
        });
    }

    [Test]
    public async Task Disposing_the_handle_of_a_running_job_does_not_cancel_it_and_ends_its_completion()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-mirror", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);
        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1" }).Bounded();
        await server.EmitEventAsync("JOB_STATUS_CHANGE", Status("m1", "running"));
        await job.WaitForStatusAsync(QmpJobStatus.Running).Bounded();

        await job.DisposeAsync();
        var error = await TestSupport.ErrorOf(job.Completion.Bounded());

        Assert.That(error, Is.InstanceOf<ObjectDisposedException>());
        Assert.That(server.Commands.Select(c => c.Name), Has.None.Contains("cancel").And.None.EqualTo("job-dismiss"));
        Assert.That(jobs.Jobs, Is.Empty);
    }

    [Test]
    public async Task A_refused_command_fails_StartAsync_with_QEMUs_error_and_leaves_no_handle()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("blockdev-mirror", "GenericError", "Block node is read-only");
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);

        var error = Assert.ThrowsAsync<QmpErrorException>(() => jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1" }));

        Assert.That(error!.Description, Is.EqualTo("Block node is read-only"));
        Assert.That(jobs.Jobs, Is.Empty);
    }

    [Test]
    public async Task Attach_reconciles_with_query_jobs_and_concludes_a_job_found_concluded()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-jobs", _ => new JsonArray { (JsonNode)JobInfo("old", "concluded", "Operation canceled"), (JsonNode)JobInfo("live", "running") });
        server.Handle("job-dismiss", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client);

        var attached = await jobs.AttachAsync().Bounded();
        var old = attached.Single(j => j.Id == "old");
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await old.Completion.Bounded());
        var live = attached.Single(j => j.Id == "live");

        Assert.Multiple(() =>
        {
            Assert.That(failure!.QemuError, Is.EqualTo("Operation canceled"));
            Assert.That(live.Status, Is.EqualTo(QmpJobStatus.Running));
            Assert.That(live.Progress, Is.EqualTo(new QmpJobProgress(QmpJobStatus.Running, 10, 20)));
            Assert.That(jobs.Jobs, Is.EqualTo(new[] { live }));
        });
    }

    [Test]
    public async Task Attach_racing_the_connections_end_never_hands_out_a_handle_that_cannot_complete()
    {
        // The server closes right after query-jobs reaches it: the reply may or may not arrive, and the manager's event
        // loop may see the end before AttachAsync registers the listed job. Either AttachAsync fails with the connection's
        // error, or every handle it returns ends with it; before the fix a handle registered after the end never completed.
        for (var round = 0; round < 60; round++)
        {
            await using var server = await QmpTestServer.StartAsync();
            server.NeverReply("query-jobs");
            await using var client = await TestSupport.ConnectAsync(server);
            await using var jobs = new QmpJobManager(client);

            var attach = jobs.AttachAsync();
            await server.WaitForCommandAsync("query-jobs").Bounded();
            // The reply and the end in one go, so that the client reads both at once.
            await server.SendRawAsync(new JsonObject { ["return"] = new JsonArray { (JsonNode)JobInfo("m0", "running") } }.ToJsonString() + "\r\n").Bounded();
            await server.CloseConnectionAsync().Bounded();
            IReadOnlyList<QmpJob> handles;
            try
            {
                handles = await attach.Bounded();
            }
            catch (QmpException)
            {
                continue;
            }

            foreach (var handle in handles)
            {
                Assert.ThrowsAsync(Is.InstanceOf<QmpException>(), async () => await handle.Completion.Bounded(), $"round {round}: the handle of a job attached as the connection ended must fail with the connection's error");
            }
        }
    }

    [Test]
    public async Task WatchAsync_polls_query_jobs_on_the_fake_clock_and_ends_with_the_job()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var server = await QmpTestServer.StartAsync();
        var current = 0;
        server.Handle("blockdev-backup", _ => new { });
        server.Handle("query-jobs", _ => new JsonArray { (JsonNode)new JsonObject { ["id"] = "b1", ["type"] = "backup", ["status"] = "running", ["current-progress"] = Interlocked.Add(ref current, 5), ["total-progress"] = 20 } });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var jobs = new QmpJobManager(client, new QmpJobOptions { TimeProvider = time, ProgressInterval = TimeSpan.FromSeconds(1) });
        var job = await jobs.StartAsync("blockdev-backup", new JsonObject { ["job-id"] = "b1" }).Bounded();

        var seen = new List<long>();
        await using var watch = job.WatchAsync().GetAsyncEnumerator();
        Assert.That(await watch.MoveNextAsync().AsTask().Bounded(), Is.True);
        seen.Add(watch.Current.Current);
        var next = watch.MoveNextAsync().AsTask();
        var polls = server.Commands.Count(c => c.Name == "query-jobs");
        var polled = server.WaitForCommandAsync(c => c.Name == "query-jobs" && server.Commands.Count(x => x.Name == "query-jobs") > polls);
        // The poll loop may not have armed its delay on the fake clock yet when the test first advances it (CI saw the
        // single Advance land before the delay and the poll never come): advance a second at a time until the poll does.
        for (var step = 0; step < 100 && !polled.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(polled, Task.Delay(50));
        }

        await polled.Bounded();
        Assert.That(await next.Bounded(), Is.True);
        seen.Add(watch.Current.Current);

        Assert.That(seen[0], Is.EqualTo(5));
        Assert.That(seen[1], Is.GreaterThan(5), "a poll on the fake clock reported new progress");
    }
}
