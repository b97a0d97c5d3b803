using Qmp.Net.Qemu;

namespace Qmp.Net.Tests.Qemu;

/// <summary>The command line <see cref="StorageDaemonProcess"/> builds from <see cref="StorageDaemonStartOptions"/>, and
/// the options it refuses before starting anything.</summary>
public class StorageDaemonArgumentsTests
{
    [Test]
    public void Arguments_come_first_then_block_nodes_the_NBD_server_and_exports_in_order()
    {
        var options = new StorageDaemonStartOptions
        {
            Arguments = ["--object", "iothread,id=io0"],
            BlockDevs = ["driver=file,node-name=f0,filename=/d.qcow2", "{\"driver\":\"qcow2\",\"node-name\":\"d0\",\"file\":\"f0\"}"],
            NbdServer = "addr.type=unix,addr.path=/n.sock",
            Exports = ["type=nbd,id=e0,node-name=d0"],
        };

        Assert.That(StorageDaemonProcess.BuildArguments(options), Is.EqualTo(new[]
        {
            "--object", "iothread,id=io0",
            "--blockdev", "driver=file,node-name=f0,filename=/d.qcow2",
            "--blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"d0\",\"file\":\"f0\"}",
            "--nbd-server", "addr.type=unix,addr.path=/n.sock",
            "--export", "type=nbd,id=e0,node-name=d0",
        }));
    }

    [Test]
    public void Default_options_add_nothing() =>
        Assert.That(StorageDaemonProcess.BuildArguments(new StorageDaemonStartOptions()), Is.Empty);

    [TestCase("--monitor")]
    [TestCase("--monitor=chardev=m")]
    [TestCase("--daemonize")]
    public void A_monitor_or_daemonize_in_the_arguments_is_refused(string argument) =>
        Assert.That(
            () => StorageDaemonProcess.BuildArguments(new StorageDaemonStartOptions { Arguments = [argument] }),
            Throws.ArgumentException.With.Message.Contain(argument));

    [Test]
    public void An_empty_block_node_is_refused() =>
        Assert.That(
            () => StorageDaemonProcess.BuildArguments(new StorageDaemonStartOptions { BlockDevs = ["driver=null-co,node-name=n0", " "] }),
            Throws.ArgumentException.With.Message.Contain("BlockDevs").And.Message.Contain("--blockdev"));

    [Test]
    public void An_empty_NBD_server_is_refused() =>
        Assert.That(
            () => StorageDaemonProcess.BuildArguments(new StorageDaemonStartOptions { NbdServer = "" }),
            Throws.ArgumentException.With.Message.Contain("NbdServer"));

    [TestCase("qemu-system-x86_64")]
    [TestCase("/usr/bin/qemu-img")]
    public void A_binary_that_is_not_the_storage_daemon_is_refused_before_anything_starts(string binary)
    {
        var refused = Assert.ThrowsAsync<ArgumentException>(() => StorageDaemonProcess.StartAsync(new StorageDaemonStartOptions { Binary = binary }));

        Assert.That(refused!.Message, Does.Contain("not a qemu-storage-daemon"));
    }

    [Test]
    public void A_daemon_binary_by_path_is_accepted() =>
        Assert.That(
            () => StorageDaemonProcess.BuildArguments(new StorageDaemonStartOptions { Binary = "/var/cache/qmp-net/qemu-utils-10.0.2/usr/bin/qemu-storage-daemon" }),
            Throws.Nothing);
}
