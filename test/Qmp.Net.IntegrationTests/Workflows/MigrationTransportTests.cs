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

    [Test]
    public async Task A_migration_over_channels_completes_on_both_ends_on_QEMU_10_and_QEMU_7_2_refuses_channels_clearly()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(MigrationTests.Machine);
        var destination = await vm.StartAsync([.. MigrationTests.Machine, "-incoming", "defer"]);
        var channels = Channels(Path.Combine(vm.Directory, "channels.sock"));

        if (generation.Label != "10.0")
        {
            // QEMU 7.2 has no 'channels' (8.2 added it) and answers "Parameter 'uri' is missing": the helper says what is meant.
            var incomingRefused = Assert.ThrowsAsync<NotSupportedException>(() => QmpMigration.StartIncomingAsync(destination.Client, channels));
            var outgoingRefused = Assert.ThrowsAsync<NotSupportedException>(() => QmpMigration.StartAsync(source.Client, channels));
            Assert.Multiple(() =>
            {
                Assert.That(incomingRefused!.Message, Does.Contain("'channels'").And.Contain("8.2").And.Contain("7.2."));
                Assert.That(incomingRefused.InnerException, Is.InstanceOf<QmpErrorException>());
                Assert.That(outgoingRefused!.Message, Does.Contain("'channels' argument of migrate"));
            });

            // Nothing was started: the same QEMUs still migrate over a URI.
            var uri = "unix:" + Path.Combine(vm.Directory, "uri.sock");
            await using var incomingByUri = await QmpMigration.StartIncomingAsync(destination.Client, uri);
            await using var outgoingByUri = await QmpMigration.StartAsync(source.Client, uri);
            Assert.That(await outgoingByUri.WaitAsync(), Is.EqualTo(QmpMigrationStatus.Completed));
            return;
        }

        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, channels);
        await using var outgoing = await QmpMigration.StartAsync(source.Client, channels);

        Assert.That(await outgoing.WaitAsync(), Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await MigrationTests.WaitForRunStateAsync(destination.Client, "running"), Is.EqualTo("running"));
        var info = await source.Client.ExecuteAsync("query-migrate");
        Assert.That(info.GetProperty("status").GetString(), Is.EqualTo("completed"));
    }

    private static System.Text.Json.Nodes.JsonArray Channels(string path) =>
    [
        new System.Text.Json.Nodes.JsonObject
        {
            ["channel-type"] = "main",
            ["addr"] = new System.Text.Json.Nodes.JsonObject { ["transport"] = "socket", ["type"] = "unix", ["path"] = path },
        },
    ];

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
