using Microsoft.Extensions.Logging;

namespace Qmp.Net.Qapi;

/// <summary>How typed commands are checked against the connected QEMU's schema before they are sent
/// (<see cref="QapiClientExtensions.SetQapiCheck"/>).</summary>
public sealed record QapiCheckOptions
{
    /// <summary>Gets the default options: the check on, no logging.</summary>
    public static QapiCheckOptions Default { get; } = new();

    /// <summary>Gets a value indicating whether typed commands are checked. When on, the first typed command of a
    /// connection reads <c>query-qmp-schema</c> once (cached per client), and a command, argument member or enum value
    /// the connected QEMU lacks raises <see cref="QapiUnsupportedException"/> before anything is sent.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; init; } = true;

    /// <summary>Gets the logger factory for the warnings that a typed command, or an argument member or enum value it
    /// uses, is deprecated in the connected QEMU (once per client for each command, member path and value; ids in
    /// <see cref="QapiEventId"/>).</summary>
    /// <value>The default value is <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; init; }
}
