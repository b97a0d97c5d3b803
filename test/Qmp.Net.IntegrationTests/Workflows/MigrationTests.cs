using System.Diagnostics;
using System.Net.Sockets;
using Qmp.Net.Migration;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>Live migration between two real QEMUs of the same generation through <see cref="QmpMigration"/>.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(120_000)]
public sealed class MigrationTests(QemuGeneration generation)
{
    internal static readonly string[] Machine = ["-machine", "pc-i440fx-7.2", "-m", "32", "-nodefaults", "-display", "none"];

    [Test]
    public async Task A_migration_over_a_unix_socket_completes_on_both_ends()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(Machine);
        var destination = await vm.StartAsync([.. Machine, "-incoming", "defer"]);
        var uri = "unix:" + Path.Combine(vm.Directory, "migration.sock");

        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, uri);
        await using var outgoing = await QmpMigration.StartAsync(source.Client, uri);
        var sourceStatus = await outgoing.WaitAsync(new ListProgress<QmpMigrationProgress>());
        var destinationStatus = await incoming.Completion;
        var runState = await WaitForRunStateAsync(destination.Client, "running");
        var sourceRunState = (await source.Client.ExecuteAsync("query-status")).GetProperty("status").GetString();

        Assert.Multiple(() =>
        {
            Assert.That(sourceStatus, Is.EqualTo(QmpMigrationStatus.Completed));
            Assert.That(destinationStatus, Is.EqualTo(QmpMigrationStatus.Completed));
            Assert.That(runState, Is.EqualTo("running"));
            Assert.That(sourceRunState, Is.EqualTo("postmigrate"));
        });
    }

    [Test]
    public async Task A_migration_into_a_passed_descriptor_completes()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(Machine);
        var destination = await vm.StartAsync([.. Machine, "-incoming", "defer"]);
        var path = Path.Combine(vm.Directory, "migration.sock");
        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, "unix:" + path);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));

        await using var outgoing = await QmpMigration.StartAsync(source.Client, socket.SafeHandle);
        var status = await outgoing.Completion;

        Assert.That(status, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
    }

    [Test]
    public async Task Cancel_at_a_throttled_bandwidth_leaves_the_source_running()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(Machine);
        var destination = await vm.StartAsync([.. Machine, "-incoming", "defer"]);
        var uri = "unix:" + Path.Combine(vm.Directory, "migration.sock");
        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, uri);

        await using var outgoing = await QmpMigration.StartAsync(source.Client, uri, new QmpMigrationOptions { MaxBandwidth = 32 * 1024 });
        var progress = await outgoing.GetProgressAsync();
        var status = await outgoing.CancelAsync();
        var runState = (await source.Client.ExecuteAsync("query-status")).GetProperty("status").GetString();
        var destinationExit = await destination.Exited.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(progress.Status, Is.EqualTo(QmpMigrationStatus.Setup).Or.EqualTo(QmpMigrationStatus.Active));
            Assert.That(status, Is.EqualTo(QmpMigrationStatus.Cancelled));
            Assert.That(runState, Is.EqualTo("running"));
            Assert.That(destinationExit, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_migration_to_a_closed_socket_fails_with_QEMUs_error_text()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(Machine);
        var uri = "unix:" + Path.Combine(vm.Directory, "nobody-listens.sock");

        var failure = Assert.CatchAsync<QmpException>(async () =>
        {
            await using var outgoing = await QmpMigration.StartAsync(source.Client, uri);
            await outgoing.Completion;
        });

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure, Is.InstanceOf<QmpMigrationException>().Or.InstanceOf<QmpErrorException>());
        if (failure is QmpMigrationException migration)
        {
            Assert.That(migration.QemuError, Is.Not.Null.And.Not.Empty);
            Assert.That(migration.Status, Is.EqualTo(QmpMigrationStatus.Failed));
        }

        var runState = (await source.Client.ExecuteAsync("query-status")).GetProperty("status").GetString();
        Assert.That(runState, Is.EqualTo("running"));
    }

    [Test]
    public async Task The_source_killed_mid_migration_fails_the_handle_with_the_connection_error()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(Machine);
        var destination = await vm.StartAsync([.. Machine, "-incoming", "defer"]);
        var uri = "unix:" + Path.Combine(vm.Directory, "migration.sock");
        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, uri);
        await using var outgoing = await QmpMigration.StartAsync(source.Client, uri, new QmpMigrationOptions { MaxBandwidth = 32 * 1024 });

        Process.GetProcessById(source.ProcessId).Kill();
        var error = Assert.CatchAsync<Exception>(async () => await outgoing.Completion.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.That(error, Is.InstanceOf<QmpException>().And.Not.InstanceOf<QmpMigrationException>(), error!.ToString());
    }

    [Test]
    public async Task Postcopy_starts_and_the_migration_completes()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(Machine);
        var destination = await vm.StartAsync([.. Machine, "-incoming", "defer"]);
        var uri = "unix:" + Path.Combine(vm.Directory, "migration.sock");
        var options = new QmpMigrationOptions { PostcopyRam = true };
        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, uri, options);
        using var events = source.Client.SubscribeEvents(e => e.Name == "MIGRATION");

        await using var outgoing = await QmpMigration.StartAsync(source.Client, uri, options with { MaxBandwidth = 1024 * 1024 });
        await outgoing.StartPostcopyAsync();
        var status = await outgoing.Completion;
        var statuses = new List<string?>();
        while (events.TryRead(out var e))
        {
            statuses.Add(e.Data.GetProperty("status").GetString());
        }

        Assert.That(statuses, Does.Contain("postcopy-active"), string.Join(", ", statuses));
        Assert.That(status, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
    }

    internal static async Task<string?> WaitForRunStateAsync(QmpClient client, string wanted)
    {
        // The destination starts the VM right around its completed event; RESUME is the signal when it is not running yet.
        var resumed = client.WaitForEventAsync("RESUME");
        var state = (await client.ExecuteAsync("query-status")).GetProperty("status").GetString();
        if (state != wanted && wanted == "running")
        {
            await resumed.WaitAsync(TimeSpan.FromSeconds(30));
            state = (await client.ExecuteAsync("query-status")).GetProperty("status").GetString();
        }

        return state;
    }
}
