using System.Text.Json;

namespace Qmp.Net.Qemu;

/// <summary>What <see cref="QemuProcess.AttachAsync(string, QmpClientOptions?, CancellationToken)"/> read from a running QEMU's
/// monitor when it attached.</summary>
public sealed class QemuAttachment
{
    internal QemuAttachment(string status, bool running, JsonElement jobs)
    {
        Status = status;
        Running = running;
        Jobs = jobs;
    }

    /// <summary>Gets the run state <c>query-status</c> reported (e.g. <c>running</c>, <c>paused</c>, <c>prelaunch</c>).</summary>
    public string Status { get; }

    /// <summary>Gets a value indicating whether the guest's CPUs were running.</summary>
    public bool Running { get; }

    /// <summary>Gets the jobs <c>query-jobs</c> reported (a JSON array): jobs started before the restart, to re-attach to.</summary>
    public JsonElement Jobs { get; }
}
