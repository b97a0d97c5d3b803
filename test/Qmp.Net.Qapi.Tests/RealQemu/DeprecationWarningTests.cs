using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>The typed check warns once per client for the argument members and enum values each real QEMU's own
/// introspection marks deprecated, at any depth, and still sends the command (QEMU decides).</summary>
[TestFixtureSource(typeof(Qemus), nameof(Qemus.All))]
[Category("RealQemu")]
[CancelAfter(60_000)]
public class DeprecationWarningTests(QemuUnderTest qemu) : DeprecationWarningFixture
{
    private Task<Qmp.Net.Qemu.QemuProcess> StartAsync() => StartAsync(qemu);

    [Test]
    public async Task Ejecting_by_the_deprecated_device_member_warns_once_and_QEMU_still_answers()
    {
        await using var process = await StartAsync();

        for (var i = 0; i < 3; i++)
        {
            Assert.That(async () => await process.Client.Commands.EjectAsync(new EjectArguments { Device = "nodisk" + i }),
                Throws.TypeOf<QmpErrorException>(), "QEMU itself answers: there is no such device");
        }

        Assert.That(Warnings, Is.EqualTo(new[] { (QapiEventId.DeprecatedMember, (string?)"device", (string?)null) }));
    }

    [Test]
    public async Task A_deprecated_member_of_an_object_add_branch_warns_with_its_path()
    {
        await using var process = await StartAsync();

        try
        {
            await process.Client.Commands.ObjectAddAsync(new ObjectOptions.RngRandomBranch { Id = "rng0", Filename = "/dev/urandom", Opened = false });
        }
        catch (QmpErrorException)
        {
            // Whether QEMU still accepts the member is QEMU's business; the warning came before sending.
        }

        Assert.That(Warnings, Is.EqualTo(new[] { (QapiEventId.DeprecatedMember, (string?)"opened", (string?)null) }));
    }

    [Test]
    public async Task A_deprecated_enum_value_in_a_list_warns_on_QEMU_10_and_not_on_7_2()
    {
        await using var process = await StartAsync();

        await process.Client.Commands.MigrateSetCapabilitiesAsync(new MigrateSetCapabilitiesArguments
        {
            Capabilities = [new MigrationCapabilityStatus { Capability = MigrationCapability.ZeroBlocks, State = false }],
        });

        // zero-blocks is deprecated from QEMU 9.1 on; 7.2 knows it without the feature.
        Assert.That(Warnings, qemu.Label == "10.0"
            ? Is.EqualTo(new[] { (QapiEventId.DeprecatedEnumValue, (string?)"capabilities[].capability", (string?)"zero-blocks") })
            : Is.Empty);
    }
}

/// <summary>What only QEMU 10.0's introspection marks deprecated.</summary>
[Category("RealQemu")]
[CancelAfter(60_000)]
public class DeprecationWarningOnQemu10Tests : DeprecationWarningFixture
{
    [Test]
    public async Task A_deprecated_member_two_unions_deep_warns_with_its_full_path()
    {
        // chardev-socket's 'reconnect' is deprecated from QEMU 9.2 on (7.2 has no reconnect-ms yet).
        await using var process = await StartAsync(new QemuUnderTest("10.0"));
        var socket = Path.Combine(Path.GetTempPath(), "qapi-dep-" + Guid.NewGuid().ToString("N") + ".sock");

        await process.Client.Commands.ChardevAddAsync(new ChardevAddArguments
        {
            Id = "c0",
            Backend = new ChardevBackend.SocketBranch { Data = new ChardevSocket { Addr = new SocketAddressLegacy.UnixBranch { Data = new UnixSocketAddress { Path = socket } }, Server = false, Reconnect = 1 } },
        });

        Assert.That(Warnings, Is.EqualTo(new[] { (QapiEventId.DeprecatedMember, (string?)"backend.data.reconnect", (string?)null) }));
        Assert.That((await process.Client.Commands.QueryChardevAsync()).Select(c => c.Label), Does.Contain("c0"));
    }
}

/// <summary>A fake logger for the typed check and a QEMU started with it.</summary>
public abstract class DeprecationWarningFixture
{
    private FakeLoggerProvider _logs = null!;
    private ILoggerFactory _factory = null!;

    [SetUp]
    public void CreateLogger()
    {
        _logs = new FakeLoggerProvider();
        _factory = LoggerFactory.Create(b => b.AddProvider(_logs));
    }

    [TearDown]
    public void DisposeLogger()
    {
        _factory.Dispose();
        _logs.Dispose();
    }

    protected List<(int Id, string? Member, string? Value)> Warnings => [.. _logs.Collector.GetSnapshot()
        .Where(r => r.Level == LogLevel.Warning)
        .Select(r => (r.Id.Id, Get(r, "Member"), Get(r, "Value")))];

    private static string? Get(FakeLogRecord record, string key) => record.StructuredState?.FirstOrDefault(s => s.Key == key).Value;

    protected async Task<Qmp.Net.Qemu.QemuProcess> StartAsync(QemuUnderTest which)
    {
        var process = await which.StartAsync();
        process.Client.SetQapiCheck(QapiCheckOptions.Default with { LoggerFactory = _factory });
        return process;
    }
}
