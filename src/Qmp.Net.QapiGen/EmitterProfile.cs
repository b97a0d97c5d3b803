namespace Qmp.Net.QapiGen;

/// <summary>What differs between the generated QMP layer and the generated guest agent layer: their namespace, the
/// names of the hand-written types the generated code calls, and the words and links of the doc comments.</summary>
internal sealed record EmitterProfile
{
    /// <summary>QEMU's monitor (QMP): <c>Qmp.Net.Qapi</c>, run by <c>QapiCommands</c> on a <c>QmpClient</c>.</summary>
    public static EmitterProfile Qmp { get; } = new()
    {
        Namespace = "Qmp.Net.Qapi",
        Protocol = "QMP",
        CommandsType = "QapiCommands",
        ReferenceUrl = "https://www.qemu.org/docs/master/interop/qemu-qmp-ref.html",
        AnchorPrefix = "QMP",
        Source = "schema snapshots of QEMU",
    };

    /// <summary>The guest agent (<c>qemu-ga</c>): <c>Qmp.Net.Qapi.Qga</c>, run by <c>QgaCommands</c> on a <c>QgaClient</c>;
    /// no events, no schema check, and <c>success-response: false</c> commands are fired without waiting for a reply.</summary>
    public static EmitterProfile Qga { get; } = new()
    {
        Namespace = "Qmp.Net.Qapi.Qga",
        Protocol = "guest agent",
        CommandsType = "QgaCommands",
        ReferenceUrl = "https://www.qemu.org/docs/master/interop/qemu-ga-ref.html",
        AnchorPrefix = "QGA",
        Source = "guest agent schema snapshots (qga/qapi-schema.json) of QEMU",
        IsGuestAgent = true,
        ReservedTypeNames = ["QgaCommands", "QgaJson", "QgaJsonContext", "QgaClientExtensions", "QgaClient", "Qga"],
    };

    public required string Namespace { get; init; }

    /// <summary>The protocol's name in prose: "the QMP command", "the guest agent command".</summary>
    public required string Protocol { get; init; }

    /// <summary>The hand-written partial struct the command methods are generated into.</summary>
    public required string CommandsType { get; init; }

    public required string ReferenceUrl { get; init; }

    /// <summary>The prefix of the reference's anchors: <c>#command-QMP-module.name</c>.</summary>
    public required string AnchorPrefix { get; init; }

    /// <summary>What the files were generated from, for their header.</summary>
    public required string Source { get; init; }

    public bool IsGuestAgent { get; init; }

    /// <summary>Type names taken by this layer's hand-written code, beyond <see cref="Naming.ReservedTypeNames"/>.</summary>
    public IReadOnlyList<string> ReservedTypeNames { get; init; } = [];
}
