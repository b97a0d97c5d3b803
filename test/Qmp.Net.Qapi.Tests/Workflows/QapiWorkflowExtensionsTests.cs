using System.Text.Json.Nodes;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Testing;

namespace Qmp.Net.Qapi.Tests.Workflows;

/// <summary>The typed workflow entry points send what the generated records hold, and nothing they leave unset.</summary>
public class QapiWorkflowExtensionsTests
{
    [Test]
    public async Task StartMirrorAsync_sends_the_records_members_and_the_managers_auto_dismiss()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("blockdev-mirror", _ => new { });
        await using var client = await QmpClient.ConnectAsync(server.Endpoint);
        await using var jobs = new QmpJobManager(client);

        var job = await jobs.StartMirrorAsync(new BlockdevMirrorArguments { JobId = "m1", Device = "src", Target = "tgt", Sync = MirrorSyncMode.Full });
        var sent = server.Commands.Single(c => c.Name == "blockdev-mirror").Arguments;

        Assert.Multiple(() =>
        {
            Assert.That(job.Id, Is.EqualTo("m1"));
            Assert.That(job.Type, Is.EqualTo("mirror"));
            Assert.That(sent.GetProperty("device").GetString(), Is.EqualTo("src"));
            Assert.That(sent.GetProperty("sync").GetString(), Is.EqualTo("full"));
            Assert.That(sent.GetProperty("auto-dismiss").GetBoolean(), Is.False);
            Assert.That(sent.TryGetProperty("speed", out _), Is.False, "unset optional members are left out");
        });
    }

    [Test]
    public void WithParameters_puts_the_typed_parameters_into_the_options()
    {
        var options = QmpMigrationOptions.Default.WithParameters(new MigrateSetParameters { MaxBandwidth = 1024 });

        Assert.That(options.Parameters!.ToJsonString(), Is.EqualTo("""{"max-bandwidth":1024}"""));
        Assert.That(QmpMigrationOptions.Default.Parameters, Is.Null, "the default stays unchanged");
    }
}
