using System.Diagnostics;
using System.Text.Json.Nodes;
using Qmp.Net.Jobs;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>Block jobs through <see cref="QmpJobManager"/> on every QEMU generation found: the success paths of the four
/// block-job types and the failures QEMU reports only after accepting the command.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(120_000)]
public sealed class JobTests(QemuGeneration generation)
{
    [Test]
    public async Task A_mirror_runs_to_ready_completes_and_is_dismissed()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.CreateImageAsync("src.qcow2", "qcow2", "16M", fill: "1M");
        var target = await vm.CreateImageAsync("tgt.qcow2", "qcow2", "16M");
        var qemu = await vm.StartMonitorOnlyAsync();
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("src", source));
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("tgt", target));
        await using var jobs = new QmpJobManager(qemu.Client);

        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full" });
        await job.WaitForStatusAsync(QmpJobStatus.Ready);
        await job.CompleteAsync();
        await job.Completion;

        var left = await qemu.Client.ExecuteAsync("query-jobs");
        Assert.Multiple(() =>
        {
            Assert.That(job.Type, Is.EqualTo("mirror"));
            Assert.That(job.Status, Is.EqualTo(QmpJobStatus.Null), "dismissed by the manager");
            Assert.That(left.GetArrayLength(), Is.Zero);
            Assert.That(jobs.Jobs, Is.Empty);
        });
    }

    [Test]
    public async Task An_observing_manager_follows_mirrors_started_by_hand_to_their_outcome_and_dismisses_neither()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.CreateImageAsync("src.qcow2", "qcow2", "16M", fill: "1M");
        var target = await vm.CreateImageAsync("tgt.qcow2", "qcow2", "16M");
        var small = await vm.CreateImageAsync("small.qcow2", "qcow2", "8M");
        var qemu = await vm.StartMonitorOnlyAsync();
        var client = qemu.Client;
        await client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("src", source));
        await client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("tgt", target));
        await client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("small", small));
        await using var observer = new QmpJobManager(client, new QmpJobOptions { ObserveOnly = true });

        // Started by hand, as a person in the shell would; the observer only watches.
        await client.ExecuteAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m1", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full", ["auto-dismiss"] = false });
        var mirror = (await observer.AttachAsync()).Single(j => j.Id == "m1");
        await mirror.WaitForStatusAsync(QmpJobStatus.Ready);
        await client.ExecuteAsync("job-complete", new JsonObject { ["id"] = "m1" });
        await mirror.Completion;

        // A too-small target: accepted, then aborted; the error text comes from query-jobs.
        await client.ExecuteAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m2", ["device"] = "src", ["target"] = "small", ["sync"] = "full", ["auto-dismiss"] = false });
        var failing = (await observer.AttachAsync()).Single(j => j.Id == "m2");
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await failing.Completion);

        var listed = await client.ExecuteAsync("query-jobs");
        Assert.Multiple(() =>
        {
            Assert.That(mirror.Type, Is.EqualTo("mirror"));
            Assert.That(mirror.Status, Is.EqualTo(QmpJobStatus.Concluded), "not dismissed by the observer");
            Assert.That(failure!.QemuError, Does.Contain("different sizes"));
            Assert.That(listed.EnumerateArray().Select(j => (j.GetProperty("id").GetString(), j.GetProperty("status").GetString())),
                Is.EquivalentTo(new[] { ("m1", "concluded"), ("m2", "concluded") }));
            Assert.That(observer.Jobs, Is.EquivalentTo(new[] { mirror, failing }));
        });

        // Their owner dismisses them; the next look forgets them.
        await client.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = "m1" });
        await client.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = "m2" });
        Assert.That(await observer.AttachAsync(), Is.Empty);
        Assert.That(observer.Jobs, Is.Empty);
    }

    [Test]
    public async Task Backup_stream_and_commit_succeed_and_report_progress()
    {
        await using var vm = new WorkflowQemu(generation);
        var baseImage = await vm.CreateImageAsync("base.qcow2", "qcow2", "16M", fill: "2M");
        var top = Path.Combine(vm.Directory, "top.qcow2");
        await WorkflowQemu.RunToolAsync("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", baseImage, top);
        var backup = await vm.CreateImageAsync("backup.qcow2", "qcow2", "16M");
        var qemu = await vm.StartMonitorOnlyAsync();
        var client = qemu.Client;
        var topNode = WorkflowQemu.Node("top", top);
        topNode["backing"] = WorkflowQemu.Node("base", baseImage);
        await client.ExecuteAsync("blockdev-add", topNode);
        await client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("bak", backup));
        await using var jobs = new QmpJobManager(client);
        var progress = new ListProgress<QmpJobProgress>();

        var backupJob = await jobs.StartAsync("blockdev-backup", new JsonObject { ["job-id"] = "b1", ["device"] = "top", ["target"] = "bak", ["sync"] = "full" });
        await backupJob.WaitAsync(progress);
        var reports = progress.Reports;
        var commitJob = await jobs.StartAsync("block-commit", new JsonObject { ["job-id"] = "c1", ["device"] = "top", ["top-node"] = "top", ["base-node"] = "base" });
        await commitJob.CompleteAsync();  // committing the active layer is a mirror underneath: ready, then complete
        await commitJob.Completion;
        var streamJob = await jobs.StartAsync("block-stream", new JsonObject { ["job-id"] = "s1", ["device"] = "base" });
        await streamJob.Completion;

        Assert.Multiple(() =>
        {
            Assert.That(backupJob.Type, Is.EqualTo("backup"));
            Assert.That(commitJob.Type, Is.EqualTo("commit"));
            Assert.That(streamJob.Type, Is.EqualTo("stream"));
            Assert.That(reports, Is.Not.Empty);
            Assert.That(reports[^1].Status, Is.EqualTo(QmpJobStatus.Null).Or.EqualTo(QmpJobStatus.Concluded));
        });
    }

    [Test]
    public async Task A_too_small_target_is_accepted_then_the_job_fails_with_QEMUs_text()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.CreateImageAsync("src.qcow2", "qcow2", "16M", fill: "1M");
        var target = await vm.CreateImageAsync("tgt.qcow2", "qcow2", "1M");
        var qemu = await vm.StartMonitorOnlyAsync();
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("src", source));
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("tgt", target));
        await using var jobs = new QmpJobManager(qemu.Client);

        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "small", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full" });
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion);

        TestContext.Out.WriteLine(failure!.Message);
        Assert.Multiple(() =>
        {
            Assert.That(failure.JobId, Is.EqualTo("small"));
            Assert.That(failure.JobType, Is.EqualTo("mirror"));
            Assert.That(failure.FinalStatus, Is.EqualTo(QmpJobStatus.Concluded));
            Assert.That(failure.QemuError, Does.Contain("size"));
            Assert.That(failure.WasCancelled, Is.False);
        });
    }

    [Test]
    public async Task An_EIO_target_with_on_target_error_stop_pauses_the_job_and_cancel_ends_it()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await StartWithFailingTargetAsync(vm);
        await using var jobs = new QmpJobManager(qemu.Client);

        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject
        {
            ["job-id"] = "eio", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full", ["on-target-error"] = "stop",
        });
        await job.WaitForStatusAsync(QmpJobStatus.Paused);
        var pausedOnError = job.IsPausedOnError;
        var ioError = job.LastIoError;
        await job.ResumeAsync();   // retries the write, which fails again
        await job.WaitForStatusAsync(QmpJobStatus.Paused);
        await job.CancelAsync(force: true);
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion);

        Assert.Multiple(() =>
        {
            Assert.That(pausedOnError, Is.True);
            Assert.That(ioError, Is.EqualTo(new QmpJobIoError("write", "stop")));
            Assert.That(job.IoErrorCount, Is.GreaterThanOrEqualTo(2));
            Assert.That(failure!.WasCancelled, Is.True);
        });
    }

    [Test]
    public async Task An_EIO_target_with_on_target_error_report_fails_the_job()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await StartWithFailingTargetAsync(vm);
        await using var jobs = new QmpJobManager(qemu.Client);

        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject
        {
            ["job-id"] = "eio", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full", ["on-target-error"] = "report",
        });
        var failure = Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion);

        TestContext.Out.WriteLine(failure!.Message);
        Assert.Multiple(() =>
        {
            Assert.That(failure.QemuError, Is.Not.Null.And.Not.Empty);
            Assert.That(failure.WasCancelled, Is.False);
            Assert.That(job.LastIoError, Is.EqualTo(new QmpJobIoError("write", "report")));
            Assert.That(job.IsPausedOnError, Is.False);
        });
    }

    [Test]
    public async Task QEMU_killed_mid_job_fails_the_handle_with_the_connection_error()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await StartWithFailingTargetAsync(vm);
        await using var jobs = new QmpJobManager(qemu.Client);
        var job = await jobs.StartAsync("blockdev-mirror", new JsonObject
        {
            ["job-id"] = "kill", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full", ["on-target-error"] = "stop",
        });
        await job.WaitForStatusAsync(QmpJobStatus.Paused);

        Process.GetProcessById(qemu.ProcessId).Kill();
        var error = Assert.CatchAsync<Exception>(async () => await job.Completion.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.That(error, Is.InstanceOf<QmpException>().And.Not.InstanceOf<QmpJobException>(), error!.ToString());
    }

    [Test]
    public async Task Attach_finds_a_job_started_by_another_client()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await StartWithFailingTargetAsync(vm);
        await qemu.Client.ExecuteAsync("blockdev-mirror", new JsonObject
        {
            ["job-id"] = "other", ["device"] = "src", ["target"] = "tgt", ["sync"] = "full", ["on-target-error"] = "stop",
        });
        await using var jobs = new QmpJobManager(qemu.Client);

        var attached = await jobs.AttachAsync();
        var job = attached.Single();
        await job.WaitForStatusAsync(QmpJobStatus.Paused);
        await job.CancelAsync(force: true);

        Assert.That(job.Id, Is.EqualTo("other"));
        Assert.That(job.Type, Is.EqualTo("mirror"));
        Assert.ThrowsAsync<QmpJobException>(async () => await job.Completion);
    }

    /// <summary>A QEMU with a filled 16 MiB qcow2 <c>src</c> and a raw <c>tgt</c> of the same size over <c>blkdebug</c>
    /// injecting EIO on every write.</summary>
    private static async Task<Qmp.Net.Qemu.QemuProcess> StartWithFailingTargetAsync(WorkflowQemu vm)
    {
        var source = await vm.CreateImageAsync("src.qcow2", "qcow2", "16M", fill: "1M");
        var target = await vm.CreateImageAsync("tgt.raw", "raw", "16M");
        var qemu = await vm.StartMonitorOnlyAsync();
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("src", source));
        await qemu.Client.ExecuteAsync("blockdev-add", new JsonObject
        {
            ["node-name"] = "tgt",
            ["driver"] = "raw",
            ["file"] = new JsonObject
            {
                ["driver"] = "blkdebug",
                ["inject-error"] = new JsonArray { (JsonNode)new JsonObject { ["event"] = "write_aio", ["errno"] = 5 } },
                ["image"] = new JsonObject { ["driver"] = "file", ["filename"] = target },
            },
        });
        return qemu;
    }
}
