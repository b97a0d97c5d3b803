using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Qmp.Net.Testing;

namespace Qmp.Net.Qapi.Tests.Check;

/// <summary>The deprecation warnings of the typed check, against a recorded QEMU 7.2 introspection served by the test
/// server (no QEMU needed): which member paths warn, how often, and with which event id.</summary>
[CancelAfter(30_000)]
public class DeprecationWarningUnitTests
{
    private static readonly Lazy<JsonElement> s_schema72 = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "query-qmp-schema-7.2.json"))).RootElement.Clone());

    private QmpTestServer _server = null!;
    private FakeLoggerProvider _logs = null!;
    private ILoggerFactory _factory = null!;
    private QmpClient _client = null!;

    [SetUp]
    public async Task Connect()
    {
        _server = await QmpTestServer.StartAsync();
        _server.Handle("query-qmp-schema", _ => s_schema72.Value);
        foreach (var command in new[] { "eject", "object-add", "block-commit", "transaction", "drive-backup" })
        {
            _server.Handle(command, _ => null);
        }

        _logs = new FakeLoggerProvider();
        _factory = LoggerFactory.Create(b => b.AddProvider(_logs));
        _client = await QmpClient.ConnectAsync(_server.Endpoint);
        _client.SetQapiCheck(QapiCheckOptions.Default with { LoggerFactory = _factory });
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        _factory.Dispose();
        _logs.Dispose();
    }

    private IReadOnlyList<FakeLogRecord> Warnings => [.. _logs.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning)];

    [Test]
    public async Task A_deprecated_member_warns_once_per_client_with_its_path_and_event_id()
    {
        await _client.Commands.EjectAsync(new EjectArguments { Device = "ide0-cd0" });
        await _client.Commands.EjectAsync(new EjectArguments { Device = "ide1-cd0" });

        Assert.That(Warnings, Has.Count.EqualTo(1));
        Assert.That(Warnings[0].Id.Id, Is.EqualTo(QapiEventId.DeprecatedMember));
        Assert.That(Warnings[0].Message, Does.Contain("'device'").And.Contain("'eject'").And.Contain("7.2.0"));
        Assert.That(_server.Commands.Count(c => c.Name == "eject"), Is.EqualTo(2), "a warning never stops the command");
    }

    [Test]
    public async Task A_command_without_deprecated_members_in_use_does_not_warn()
    {
        await _client.Commands.EjectAsync(new EjectArguments { Id = "cd0" });
        await _client.Commands.ObjectAddAsync(new ObjectOptions.IothreadBranch { Id = "io0" });

        Assert.That(Warnings, Is.Empty);
    }

    [Test]
    public async Task A_deprecated_member_of_a_union_branch_warns_with_its_path()
    {
        await _client.Commands.ObjectAddAsync(new ObjectOptions.RngRandomBranch { Id = "rng0", Opened = false });

        Assert.That(Warnings.Select(w => (w.Id.Id, Member: w.StructuredState!.Single(s => s.Key == "Member").Value)),
            Is.EqualTo(new[] { (QapiEventId.DeprecatedMember, (string?)"opened") }));
    }

    [Test]
    public async Task Two_deprecated_members_of_one_command_warn_once_each()
    {
        await _client.Commands.BlockCommitAsync(new BlockCommitArguments { Device = "d0", Base = "b.qcow2", Top = "t.qcow2" });
        await _client.Commands.BlockCommitAsync(new BlockCommitArguments { Device = "d0", Base = "b.qcow2", Top = "t.qcow2" });

        Assert.That(Warnings.Select(w => w.StructuredState!.Single(s => s.Key == "Member").Value), Is.EquivalentTo(new[] { "base", "top" }));
    }

    [Test]
    public async Task A_deprecated_enum_value_deep_in_a_list_warns_once_naming_value_and_path()
    {
        var backup = new TransactionAction.DriveBackupBranch { Data = new DriveBackup { Device = "d0", Target = "t.qcow2", Sync = MirrorSyncMode.Full } };
        await _client.Commands.TransactionAsync(new TransactionArguments { Actions = [backup, backup] });

        Assert.That(Warnings, Has.Count.EqualTo(1));
        Assert.That(Warnings[0].Id.Id, Is.EqualTo(QapiEventId.DeprecatedEnumValue));
        Assert.That(Warnings[0].StructuredState!.Single(s => s.Key == "Member").Value, Is.EqualTo("actions[].type"));
        Assert.That(Warnings[0].StructuredState!.Single(s => s.Key == "Value").Value, Is.EqualTo("drive-backup"));
    }

    [Test]
    public async Task A_deprecated_command_warns_with_its_own_event_id()
    {
        await _client.Commands.DriveBackupAsync(new DriveBackup { Device = "d0", Target = "t.qcow2", Sync = MirrorSyncMode.Full });
        await _client.Commands.DriveBackupAsync(new DriveBackup { Device = "d0", Target = "t.qcow2", Sync = MirrorSyncMode.Full });

        Assert.That(Warnings.Select(w => w.Id.Id), Is.EqualTo(new[] { QapiEventId.DeprecatedCommand }));
    }

    [Test]
    public async Task Each_client_warns_for_itself()
    {
        await _client.Commands.EjectAsync(new EjectArguments { Device = "ide0-cd0" });
        await _client.DisposeAsync();
        _client = await QmpClient.ConnectAsync(_server.Endpoint);
        _client.SetQapiCheck(QapiCheckOptions.Default with { LoggerFactory = _factory });

        await _client.Commands.EjectAsync(new EjectArguments { Device = "ide0-cd0" });

        Assert.That(Warnings.Select(w => w.Id.Id), Is.EqualTo(new[] { QapiEventId.DeprecatedMember, QapiEventId.DeprecatedMember }));
    }
}
