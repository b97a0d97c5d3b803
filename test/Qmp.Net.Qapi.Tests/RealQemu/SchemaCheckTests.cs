using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>The runtime check: what QEMU 7.2 lacks is refused before sending; QEMU 10.0 accepts it.</summary>
[Category("RealQemu")]
[CancelAfter(60_000)]
public class SchemaCheckTests
{
    private static readonly QemuUnderTest Qemu72 = new("7.2");
    private static readonly QemuUnderTest Qemu10 = new("10.0");

    [Test]
    public async Task A_command_only_QEMU_10_has_is_refused_on_7_2_naming_command_and_version()
    {
        await using var process = await Qemu72.StartAsync();

        Assert.That(async () => await process.Client.Commands.QueryCryptodevAsync(),
            Throws.TypeOf<QapiUnsupportedException>()
                .With.Property(nameof(QapiUnsupportedException.Command)).EqualTo("query-cryptodev")
                .And.Property(nameof(QapiUnsupportedException.Member)).Empty
                .And.Property(nameof(QapiUnsupportedException.QemuVersion)).StartsWith("7.2.")
                .And.InstanceOf<QmpException>());
    }

    [Test]
    public async Task The_same_command_runs_on_QEMU_10()
    {
        await using var process = await Qemu10.StartAsync();

        var devices = await process.Client.Commands.QueryCryptodevAsync();

        Assert.That(devices, Is.Empty);
    }

    [Test]
    public async Task An_argument_member_only_QEMU_10_has_is_refused_on_7_2_naming_the_member()
    {
        await using var process = await Qemu72.StartAsync();

        Assert.That(async () => await process.Client.Commands.CalcDirtyRateAsync(new CalcDirtyRateArguments { CalcTime = 1, CalcTimeUnit = TimeUnit.Millisecond }),
            Throws.TypeOf<QapiUnsupportedException>().With.Property(nameof(QapiUnsupportedException.Member)).EqualTo("calc-time-unit"));
    }

    [Test]
    public async Task An_enum_value_only_QEMU_10_has_is_refused_on_7_2()
    {
        await using var process = await Qemu72.StartAsync();

        Assert.That(async () => await process.Client.Commands.ObjectAddAsync(new ObjectOptions.MemoryBackendShmBranch { Id = "m0", Size = 1 << 20 }),
            Throws.TypeOf<QapiUnsupportedException>().With.Property(nameof(QapiUnsupportedException.Member)).EqualTo("qom-type"));
    }

    [Test]
    public async Task With_the_check_off_the_command_reaches_QEMU_and_QEMU_refuses_it()
    {
        await using var process = await Qemu72.StartAsync();
        process.Client.SetQapiCheck(QapiCheckOptions.Default with { Enabled = false });

        Assert.That(async () => await process.Client.Commands.QueryCryptodevAsync(),
            Throws.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound"));
        Assert.That(process.Client.QapiCheck.Enabled, Is.False);
    }

    [Test]
    public async Task Device_add_properties_beyond_the_schema_are_not_refused()
    {
        await using var process = await Qemu72.StartAsync("-machine", "pc");

        var add = process.Client.Commands.DeviceAddAsync(new DeviceAddArguments
        {
            Driver = "usb-tablet",
            Id = "tablet0",
            Properties = new() { ["port"] = "1" },
        });

        // QEMU decides (no USB bus here: it answers with an error); the check must not refuse the extra property.
        Assert.That(async () => await add, Throws.TypeOf<QmpErrorException>());
    }
}
