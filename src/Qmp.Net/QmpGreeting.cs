using System.Text.Json;

namespace Qmp.Net;

/// <summary>The greeting a QMP server sends first: its version and the optional capabilities it offers.</summary>
/// <param name="Version">The server's version.</param>
/// <param name="Capabilities">The capabilities offered (QEMU offers <c>oob</c> on monitors that run in its I/O thread).</param>
public sealed record QmpGreeting(QmpVersion Version, IReadOnlyList<string> Capabilities)
{
    /// <inheritdoc />
    public override string ToString() => $"QMP {Version} [{string.Join(", ", Capabilities)}]";
}

/// <summary>A QMP server's version, as its greeting reports it.</summary>
/// <param name="Major">The major version.</param>
/// <param name="Minor">The minor version.</param>
/// <param name="Micro">The micro version.</param>
/// <param name="Package">The distribution's package string (may be empty).</param>
public sealed record QmpVersion(int Major, int Minor, int Micro, string Package)
{
    /// <summary>Gets the version as a <see cref="System.Version"/> (major.minor.micro).</summary>
    public Version AsVersion => new(Major, Minor, Micro);

    /// <inheritdoc />
    public override string ToString() => Package.Length == 0 ? $"{Major}.{Minor}.{Micro}" : $"{Major}.{Minor}.{Micro} ({Package})";
}

/// <summary>An asynchronous event sent by the server.</summary>
/// <param name="Name">The event name, e.g. <c>RESUME</c>.</param>
/// <param name="Data">The event's data: an empty object when the event has none.</param>
/// <param name="Timestamp">When the server emitted the event, to the microsecond; <see cref="DateTimeOffset.MinValue"/>
/// when the server could not read its clock (QEMU then sends -1 for both parts).</param>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset Timestamp)
{
    /// <summary>Gets the event's number on its connection, counting from 1, so a consumer can see a gap where events were dropped.</summary>
    public long Sequence { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Name} {Data.GetRawText()} @ {Timestamp:O}";
}
