namespace Qmp.Net.Fleet;

/// <summary>An event from one VM of a <see cref="QmpFleet"/>, tagged with the VM's name.</summary>
/// <param name="Name">The VM's name, as given to <see cref="QmpFleet.Add(string, QmpEndpoint)"/>.</param>
/// <param name="Event">The event.</param>
public sealed record QmpFleetEvent(string Name, QmpEvent Event);
