using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qmp.Net.Devices;

/// <summary>Hot-plug and unplug of devices and disks, with the waits and undo steps done right.</summary>
/// <remarks>
/// <para>Unplugging is a request to the guest: QEMU answers <c>device_del</c> at once, and the device goes only when the
/// guest releases it (<c>DEVICE_DELETED</c>) or refuses (<c>DEVICE_UNPLUG_GUEST_ERROR</c>). Without a guest OS, only native
/// PCIe hotplug (q35, a <c>pcie-root-port</c>, <c>-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off</c>) and USB
/// (<c>qemu-xhci</c>) release devices on their own. docs/workflows.md has the details.</para>
/// </remarks>
public static class QmpDevices
{
    /// <summary>Adds a disk: <c>blockdev-add</c> of its backend, then <c>device_add</c> of the device. If
    /// <c>device_add</c> fails, the node is deleted again (<c>blockdev-del</c>) before the error is thrown.</summary>
    /// <param name="client">The client.</param>
    /// <param name="blockdev">The <c>blockdev-add</c> arguments; they must have a <c>node-name</c>.</param>
    /// <param name="device">The <c>device_add</c> arguments (<c>driver</c>, <c>id</c>, <c>drive</c> = the node name, <c>bus</c>, ...).</param>
    /// <param name="cancellationToken">Cancels the commands.</param>
    /// <returns>A task that completes when the device exists.</returns>
    /// <exception cref="ArgumentException"><paramref name="blockdev"/> has no <c>node-name</c>.</exception>
    /// <exception cref="QmpErrorException">QEMU refused a command (what was added is removed again).</exception>
    public static async Task HotPlugDiskAsync(QmpClient client, JsonObject blockdev, JsonObject device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(blockdev);
        ArgumentNullException.ThrowIfNull(device);
        if (blockdev["node-name"] is not JsonValue nodeValue || !nodeValue.TryGetValue<string>(out var node) || node.Length == 0)
        {
            throw new ArgumentException("The blockdev-add arguments need a 'node-name': it is how the device and the undo step find the node.", nameof(blockdev));
        }

        await client.ExecuteAsync("blockdev-add", blockdev.DeepClone(), cancellationToken).ConfigureAwait(false);
        try
        {
            await client.ExecuteAsync("device_add", device.DeepClone(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            try
            {
                await client.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The original error matters more; the node stays if even this failed.
            }

            throw;
        }
    }

    /// <summary>Unplugs a device (<c>device_del</c>) and waits, at most <paramref name="timeout"/>, for the guest to
    /// release it (<c>DEVICE_DELETED</c>) or refuse (<c>DEVICE_UNPLUG_GUEST_ERROR</c>). The events are subscribed to
    /// before the command is sent.</summary>
    /// <param name="client">The client.</param>
    /// <param name="device">The device's id or QOM path.</param>
    /// <param name="timeout">How long to wait for the guest; <see cref="QmpUnplugOutcome.NotReleased"/> after that.</param>
    /// <param name="timeProvider">The clock for the timeout; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancels the command and the wait.</param>
    /// <returns>The outcome; <see cref="QmpUnplugOutcome.NotReleased"/> says the guest has not released the device.</returns>
    /// <exception cref="ArgumentException"><paramref name="device"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite).</exception>
    /// <exception cref="QmpErrorException">QEMU refused <c>device_del</c> (no such device, or not hot-pluggable).</exception>
    public static async Task<QmpUnplugResult> UnplugAsync(QmpClient client, string device, TimeSpan timeout, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(device);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }

        using var events = client.SubscribeEvents(e => e.Name is "DEVICE_DELETED" or "DEVICE_UNPLUG_GUEST_ERROR" && Matches(e.Data, device));

        // The bound runs from the call, so it also covers a slow device_del reply.
        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider ?? TimeProvider.System);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        await client.ExecuteAsync("device_del", new JsonObject { ["id"] = device }, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!events.TryRead(out var e))
            {
                e = await events.ReadAsync(timer.Token).ConfigureAwait(false);
            }

            var path = e.Data.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            return new QmpUnplugResult(device, e.Name == "DEVICE_DELETED" ? QmpUnplugOutcome.Deleted : QmpUnplugOutcome.GuestError, path);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new QmpUnplugResult(device, QmpUnplugOutcome.NotReleased, null);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            await client.Completion.ConfigureAwait(false);
            throw new QmpConnectionClosedException($"The connection to QEMU ended while waiting for the unplug of '{device}'.");
        }
    }

    /// <summary>Unplugs a disk: <see cref="UnplugAsync"/>, then, once the device is gone, <c>blockdev-del</c> of its node.
    /// When the guest has not released the device, the node is left alone (QEMU would refuse: it is in use).</summary>
    /// <param name="client">The client.</param>
    /// <param name="device">The device's id.</param>
    /// <param name="nodeName">The node behind it.</param>
    /// <param name="timeout">How long to wait for the guest.</param>
    /// <param name="timeProvider">The clock for the timeout.</param>
    /// <param name="cancellationToken">Cancels the commands and the wait.</param>
    /// <returns>The unplug's result; the node was deleted when <see cref="QmpUnplugResult.IsDeleted"/>.</returns>
    public static async Task<QmpUnplugResult> UnplugDiskAsync(QmpClient client, string device, string nodeName, TimeSpan timeout, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        var result = await UnplugAsync(client, device, timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        if (result.IsDeleted)
        {
            await client.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = nodeName }, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static bool Matches(JsonElement data, string device)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        return (data.TryGetProperty("device", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() == device)
            || (data.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String && path.GetString() == device);
    }
}
