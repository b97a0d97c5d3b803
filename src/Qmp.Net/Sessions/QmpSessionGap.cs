namespace Qmp.Net.Sessions;

/// <summary>Marks where a <see cref="QmpSession"/>'s event stream has a hole: the connection dropped, and events QEMU sent
/// while it was down are lost. State may have changed in between: re-read what matters.</summary>
/// <param name="Reason">Why the connection ended (the cause's message, or that the server closed it).</param>
/// <param name="DisconnectedAt">When the drop was seen.</param>
/// <param name="Duration">How long the session was without a connection.</param>
public sealed record QmpSessionGap(string Reason, DateTimeOffset DisconnectedAt, TimeSpan Duration);
