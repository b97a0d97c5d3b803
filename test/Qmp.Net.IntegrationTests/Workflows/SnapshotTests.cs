using System.Text.Json.Nodes;
using Qmp.Net.Jobs;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>Internal snapshots (snapshot-save/-load/-delete jobs) and the external-snapshot recipe on every QEMU generation.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(120_000)]
public sealed class SnapshotTests(QemuGeneration generation)
{
    [Test]
    public async Task Save_load_and_delete_run_as_jobs_and_are_dismissed()
    {
        await using var vm = new WorkflowQemu(generation);
        var disk = await vm.CreateImageAsync("disk.qcow2", "qcow2", "16M");
        var qemu = await vm.StartMonitorOnlyAsync();
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("disk", disk));
        await using var jobs = new QmpJobManager(qemu.Client);

        await jobs.SaveSnapshotAsync("s1", "disk", ["disk"]);
        var listed = await qemu.Client.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = "info snapshots" });
        await jobs.LoadSnapshotAsync("s1", "disk", ["disk"]);
        await jobs.DeleteSnapshotAsync("s1", ["disk"]);
        var after = await qemu.Client.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = "info snapshots" });
        var left = await qemu.Client.ExecuteAsync("query-jobs");

        Assert.Multiple(() =>
        {
            Assert.That(listed.GetString(), Does.Contain("s1"));
            Assert.That(after.GetString(), Does.Not.Contain("s1"));
            Assert.That(left.GetArrayLength(), Is.Zero, "every snapshot job dismissed");
        });
    }

    [Test]
    public async Task Loading_a_missing_tag_fails_with_QEMUs_text()
    {
        await using var vm = new WorkflowQemu(generation);
        var disk = await vm.CreateImageAsync("disk.qcow2", "qcow2", "16M");
        var qemu = await vm.StartMonitorOnlyAsync();
        await qemu.Client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("disk", disk));
        await using var jobs = new QmpJobManager(qemu.Client);

        var failure = Assert.ThrowsAsync<QmpJobException>(() => jobs.LoadSnapshotAsync("missing", "disk", ["disk"]));
        var left = await qemu.Client.ExecuteAsync("query-jobs");

        TestContext.Out.WriteLine(failure!.Message);
        Assert.Multiple(() =>
        {
            Assert.That(failure.JobType, Is.EqualTo("snapshot-load"));
            Assert.That(failure.QemuError, Does.Contain("missing"));
            Assert.That(left.GetArrayLength(), Is.Zero, "the failed job was dismissed too");
        });
    }

    [Test]
    public async Task An_external_snapshot_is_an_overlay_committed_back_with_block_commit()
    {
        await using var vm = new WorkflowQemu(generation);
        var disk = await vm.CreateImageAsync("disk.qcow2", "qcow2", "16M", fill: "1M");
        var overlay = await vm.CreateImageAsync("overlay.qcow2", "qcow2", "16M");
        var qemu = await vm.StartMonitorOnlyAsync();
        var client = qemu.Client;
        await client.ExecuteAsync("blockdev-add", WorkflowQemu.Node("disk", disk));
        await using var jobs = new QmpJobManager(client);

        // The recipe of docs/workflows.md: an overlay without backing, made the disk's new top, then committed back.
        var overlayNode = WorkflowQemu.Node("overlay", overlay);
        overlayNode["backing"] = null;
        await client.ExecuteAsync("blockdev-add", overlayNode);
        await client.ExecuteAsync("blockdev-snapshot", new JsonObject { ["node"] = "disk", ["overlay"] = "overlay" });
        var commit = await jobs.StartAsync("block-commit", new JsonObject { ["device"] = "overlay" });
        await commit.CompleteAsync();
        await commit.Completion;

        Assert.That(commit.Type, Is.EqualTo("commit"));
        Assert.That(commit.Id, Does.StartWith("qmpnet-job-"));
    }
}
