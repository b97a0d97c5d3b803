using System.Text.Json.Nodes;
using Qmp.Net.Devices;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>Hot-plug and unplug through <see cref="QmpDevices"/> on every QEMU generation, without a guest OS.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(120_000)]
public sealed class DeviceTests(QemuGeneration generation)
{
    private static readonly string[] s_nativePcie =
    [
        "-machine", "q35", "-nodefaults", "-display", "none", "-S",
        "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
        "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1",
    ];

    [Test]
    public async Task A_disk_hot_plugged_on_a_native_PCIe_port_unplugs_and_its_node_is_deleted()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await vm.StartAsync(s_nativePcie);
        var client = qemu.Client;

        await QmpDevices.HotPlugDiskAsync(client,
            new JsonObject { ["node-name"] = "d1", ["driver"] = "null-co", ["size"] = 1048576 },
            new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "disk1", ["drive"] = "d1", ["bus"] = "rp1" });
        var result = await QmpDevices.UnplugDiskAsync(client, "disk1", "d1", TimeSpan.FromSeconds(30));
        var nodes = await client.ExecuteAsync("query-named-block-nodes");

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(QmpUnplugOutcome.Deleted));
            Assert.That(result.QomPath, Does.EndWith("disk1"));
            Assert.That(nodes.EnumerateArray().Select(n => n.GetProperty("node-name").GetString()), Does.Not.Contain("d1"));
        });
    }

    [Test]
    public async Task On_pc_without_a_guest_the_unplug_reports_not_released_and_the_node_stays()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await vm.StartAsync("-machine", "pc", "-nodefaults", "-display", "none", "-S");
        var client = qemu.Client;
        await QmpDevices.HotPlugDiskAsync(client,
            new JsonObject { ["node-name"] = "d1", ["driver"] = "null-co" },
            new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "disk1", ["drive"] = "d1" });

        var result = await QmpDevices.UnplugDiskAsync(client, "disk1", "d1", TimeSpan.FromMilliseconds(500));
        var refused = Assert.ThrowsAsync<QmpErrorException>(() => client.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = "d1" }));

        Assert.That(result.Outcome, Is.EqualTo(QmpUnplugOutcome.NotReleased));
        Assert.That(refused!.Description, Does.Contain("in use"));
    }

    [Test]
    public async Task A_failed_device_add_removes_the_node_it_needed()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await vm.StartAsync(s_nativePcie);
        var client = qemu.Client;

        Assert.ThrowsAsync<QmpErrorException>(() => QmpDevices.HotPlugDiskAsync(client,
            new JsonObject { ["node-name"] = "d1", ["driver"] = "null-co" },
            new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "disk1", ["drive"] = "d1", ["bus"] = "no-such-bus" }));
        var nodes = await client.ExecuteAsync("query-named-block-nodes");

        Assert.That(nodes.GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task A_USB_disk_on_xhci_unplugs_at_once()
    {
        await using var vm = new WorkflowQemu(generation);
        var qemu = await vm.StartAsync("-machine", "pc", "-nodefaults", "-display", "none", "-S", "-device", "qemu-xhci,id=xhci");
        var client = qemu.Client;
        await QmpDevices.HotPlugDiskAsync(client,
            new JsonObject { ["node-name"] = "u1", ["driver"] = "null-co" },
            new JsonObject { ["driver"] = "usb-storage", ["id"] = "usb1", ["drive"] = "u1", ["bus"] = "xhci.0" });

        var result = await QmpDevices.UnplugDiskAsync(client, "usb1", "u1", TimeSpan.FromSeconds(30));

        Assert.That(result.Outcome, Is.EqualTo(QmpUnplugOutcome.Deleted));
    }
}
