namespace Qmp.Net.Devices;

/// <summary>How an unplug request ended.</summary>
public enum QmpUnplugOutcome
{
    /// <summary>The device is gone (<c>DEVICE_DELETED</c>); its backend node can be deleted now.</summary>
    Deleted = 0,

    /// <summary>The guest refused to release the device (<c>DEVICE_UNPLUG_GUEST_ERROR</c>); the device stays.</summary>
    GuestError,

    /// <summary>The wait ended without an answer: the guest has not released the device (yet). The request stays
    /// pending in QEMU, the device and its backend stay in use (<c>blockdev-del</c> is refused with "Node ... is in use"),
    /// and a second <c>device_del</c> is accepted but changes nothing. Without a guest OS this is what <c>pc</c> and q35
    /// with ACPI hotplug always give.</summary>
    NotReleased,
}
