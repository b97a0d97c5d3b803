using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Qmp.Net.Testing;

namespace Qmp.Net.Qapi.Tests.Check;

/// <summary>A server without <c>query-qmp-schema</c> (QEMU before 2.5, other QMP servers; here the test server, which
/// answers CommandNotFound for it): typed commands are sent unchecked, with one warning per client.</summary>
[CancelAfter(30_000)]
public class NoSchemaUnitTests
{
    private QmpTestServer _server = null!;
    private FakeLoggerProvider _logs = null!;
    private ILoggerFactory _factory = null!;

    [SetUp]
    public async Task Start()
    {
        _server = await QmpTestServer.StartAsync();
        _server.Handle("query-status", _ => JsonDocument.Parse("""{"status": "running", "singlestep": false, "running": true}""").RootElement.Clone());
        _server.Handle("blockdev-mirror", _ => null);
        _logs = new FakeLoggerProvider();
        _factory = LoggerFactory.Create(b => b.AddProvider(_logs));
    }

    [TearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        _factory.Dispose();
        _logs.Dispose();
    }

    private IReadOnlyList<FakeLogRecord> Warnings => [.. _logs.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning)];

    [Test]
    public async Task Typed_commands_are_sent_unchecked_with_one_warning_per_client()
    {
        for (var round = 0; round < 2; round++)
        {
            await using var client = await QmpClient.ConnectAsync(_server.Endpoint);
            client.SetQapiCheck(QapiCheckOptions.Default with { LoggerFactory = _factory });

            var status = await client.Commands.QueryStatusAsync();
            await client.Commands.QueryStatusAsync();
            await client.Commands.BlockdevMirrorAsync(new BlockdevMirrorArguments { Device = "d0", Target = "t0", Sync = MirrorSyncMode.Full });

            Assert.That(status.Running, Is.True);
            Assert.That(Warnings, Has.Count.EqualTo(round + 1), "one warning per client");
            Assert.That(Warnings[round].Id.Id, Is.EqualTo(QapiEventId.NoSchema));
            Assert.That(Warnings[round].Message, Does.Contain("query-qmp-schema").And.Contain("query-status"));
        }

        Assert.That(_server.Commands.Count(c => c.Name == "query-status"), Is.EqualTo(4));
        Assert.That(_server.Commands.Count(c => c.Name == "blockdev-mirror"), Is.EqualTo(2));
        Assert.That(_server.Commands.Count(c => c.Name == "query-qmp-schema"), Is.EqualTo(2), "asked once per client");
    }

    [Test]
    public async Task The_check_state_belongs_to_each_client()
    {
        // two servers: like a QEMU monitor, the test server serves one client at a time
        await using var other = await QmpTestServer.StartAsync();
        other.Handle("query-status", _ => JsonDocument.Parse("""{"status": "running", "singlestep": false, "running": true}""").RootElement.Clone());
        await using var first = await QmpClient.ConnectAsync(other.Endpoint);
        await using var second = await QmpClient.ConnectAsync(_server.Endpoint);
        first.SetQapiCheck(QapiCheckOptions.Default with { Enabled = false });

        await first.Commands.QueryStatusAsync();                     // unchecked: no query-qmp-schema
        await second.Commands.QueryStatusAsync();                    // checked: asks for the schema, finds none, warns
        second.SetQapiCheck(QapiCheckOptions.Default with { LoggerFactory = _factory });
        await second.Commands.QueryStatusAsync();                    // a new configuration starts a new state

        Assert.Multiple(() =>
        {
            Assert.That(first.QapiCheck.Enabled, Is.False);
            Assert.That(second.QapiCheck.Enabled, Is.True);
            Assert.That(other.Commands.Count(c => c.Name == "query-qmp-schema"), Is.Zero, "the first client's check is off");
            Assert.That(_server.Commands.Count(c => c.Name == "query-qmp-schema"), Is.EqualTo(2), "once per state of the second client: a refused query is not kept");
            Assert.That(Warnings, Has.Count.EqualTo(1), "the warning of the new configuration");
        });
    }
}
