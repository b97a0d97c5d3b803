namespace Qmp.Net.Devices;

/// <summary>The result of <see cref="QmpDevices.UnplugAsync"/>.</summary>
/// <param name="Device">The id or QOM path that was unplugged.</param>
/// <param name="Outcome">How the request ended.</param>
/// <param name="QomPath">The device's QOM path from the event, or <see langword="null"/>.</param>
public sealed record QmpUnplugResult(string Device, QmpUnplugOutcome Outcome, string? QomPath)
{
    /// <summary>Gets a value indicating whether the device is gone.</summary>
    public bool IsDeleted => Outcome == QmpUnplugOutcome.Deleted;
}
