using System.Net;
using System.Net.Sockets;
using Qmp.Net.Migration;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>The migration transports besides <c>unix:</c>, between two real QEMUs of one generation through
/// <see cref="QmpMigration"/>: <c>tcp:</c> on loopback, <c>exec:</c> (the state through a file written and read by
/// <c>cat</c>), and <c>file:</c> on QEMU 10.0.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(120_000)]
public sealed class MigrationTransportTests(QemuGeneration generation)
{
    [Test]
    public async Task A_migration_over_tcp_on_loopback_completes_on_both_ends()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(MigrationTests.Machine);
        var destination = await vm.StartAsync([.. MigrationTests.Machine, "-incoming", "defer"]);
        var uri = "tcp:127.0.0.1:" + FreePort();

        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, uri);
        await using var outgoing = await QmpMigration.StartAsync(source.Client, uri);

        Assert.That(await outgoing.WaitAsync(), Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await MigrationTests.WaitForRunStateAsync(destination.Client, "running"), Is.EqualTo("running"));
    }

    [Test]
    public async Task A_migration_through_exec_into_a_file_and_back_completes_on_both_ends()
    {
        await using var vm = new WorkflowQemu(generation);
        var state = Path.Combine(vm.Directory, "state.bin");
        await StateThroughAsync(vm, "exec:cat > " + state, "exec:cat " + state, state);
    }

    [Test]
    public async Task A_migration_into_a_file_and_back_completes_on_QEMU_10()
    {
        if (generation.Label != "10.0")
        {
            Assert.Ignore("file: migration needs QEMU 9.1+; QEMU 7.2 has exec: for the same.");
        }

        await using var vm = new WorkflowQemu(generation);
        var state = Path.Combine(vm.Directory, "state.bin");
        await StateThroughAsync(vm, "file:" + state, "file:" + state, state);
    }

    private static async Task StateThroughAsync(WorkflowQemu vm, string outUri, string inUri, string state)
    {
        var source = await vm.StartAsync(MigrationTests.Machine);
        await using (var outgoing = await QmpMigration.StartAsync(source.Client, outUri))
        {
            Assert.That(await outgoing.WaitAsync(), Is.EqualTo(QmpMigrationStatus.Completed));
        }

        Assert.That(new FileInfo(state).Length, Is.GreaterThan(0));
        var destination = await vm.StartAsync([.. MigrationTests.Machine, "-incoming", "defer"]);
        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, inUri);
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await MigrationTests.WaitForRunStateAsync(destination.Client, "running"), Is.EqualTo("running"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
