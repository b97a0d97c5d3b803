using Qmp.Net.Migration;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>The host-upgrade case: migration from QEMU 7.2 to 10.0.2 and back, with the 7.2 machine type on both ends.</summary>
[CancelAfter(120_000)]
public sealed class CrossVersionMigrationTests
{
    [TestCase("7.2", "10.0")]
    [TestCase("10.0", "7.2")]
    public async Task Migration_between_generations_completes_with_pc_i440fx_7_2(string from, string to)
    {
        await using var sourceVm = new WorkflowQemu(new QemuGeneration(from));
        await using var destinationVm = new WorkflowQemu(new QemuGeneration(to));
        var source = await sourceVm.StartAsync(MigrationTests.Machine);
        var destination = await destinationVm.StartAsync([.. MigrationTests.Machine, "-incoming", "defer"]);
        var uri = "unix:" + Path.Combine(destinationVm.Directory, "migration.sock");

        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, uri);
        await using var outgoing = await QmpMigration.StartAsync(source.Client, uri);
        var sourceStatus = await outgoing.Completion;
        var destinationStatus = await incoming.Completion;
        var runState = await MigrationTests.WaitForRunStateAsync(destination.Client, "running");

        TestContext.Out.WriteLine($"{source.Version} -> {destination.Version}: {sourceStatus}/{destinationStatus}, destination {runState}");
        Assert.Multiple(() =>
        {
            Assert.That(sourceStatus, Is.EqualTo(QmpMigrationStatus.Completed));
            Assert.That(destinationStatus, Is.EqualTo(QmpMigrationStatus.Completed));
            Assert.That(runState, Is.EqualTo("running"));
        });
    }
}
