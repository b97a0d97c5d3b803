namespace Qmp.Net.Qapi;

/// <summary>The event ids of Qmp.Net.Qapi's log messages (category <c>Qmp.Net.Qapi</c>, logger factory
/// <see cref="QapiCheckOptions.LoggerFactory"/>): the 6000s band, beside the bands of <see cref="QmpEventId"/>.
/// An id is never reused or renumbered once shipped.</summary>
public static class QapiEventId
{
    /// <summary>Warning, once per client and command: a typed command is deprecated in the connected QEMU's schema.</summary>
    public const int DeprecatedCommand = 6000;

    /// <summary>Warning, once per client, command and member path: a typed command sets an argument member (at any depth,
    /// union branch members included) that the connected QEMU's schema marks deprecated.</summary>
    public const int DeprecatedMember = 6001;

    /// <summary>Warning, once per client, command, member path and value: a typed command uses an enum value that the
    /// connected QEMU's schema marks deprecated.</summary>
    public const int DeprecatedEnumValue = 6002;

    /// <summary>Warning, once per client: the server has no <c>query-qmp-schema</c> (QEMU before 2.5, or another QMP
    /// server), so typed commands are sent without the check.</summary>
    public const int NoSchema = 6003;
}
