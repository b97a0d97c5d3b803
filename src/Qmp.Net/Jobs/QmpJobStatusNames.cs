namespace Qmp.Net.Jobs;

/// <summary>Converts between QEMU's job status strings and <see cref="QmpJobStatus"/>.</summary>
internal static class QmpJobStatusNames
{
    public static QmpJobStatus Parse(string? name) => name switch
    {
        "created" => QmpJobStatus.Created,
        "running" => QmpJobStatus.Running,
        "paused" => QmpJobStatus.Paused,
        "ready" => QmpJobStatus.Ready,
        "standby" => QmpJobStatus.Standby,
        "waiting" => QmpJobStatus.Waiting,
        "pending" => QmpJobStatus.Pending,
        "aborting" => QmpJobStatus.Aborting,
        "concluded" => QmpJobStatus.Concluded,
        "null" => QmpJobStatus.Null,
        _ => QmpJobStatus.Undefined,
    };

    public static string Format(QmpJobStatus status) => status switch
    {
        QmpJobStatus.Created => "created",
        QmpJobStatus.Running => "running",
        QmpJobStatus.Paused => "paused",
        QmpJobStatus.Ready => "ready",
        QmpJobStatus.Standby => "standby",
        QmpJobStatus.Waiting => "waiting",
        QmpJobStatus.Pending => "pending",
        QmpJobStatus.Aborting => "aborting",
        QmpJobStatus.Concluded => "concluded",
        QmpJobStatus.Null => "null",
        _ => "undefined",
    };

    /// <summary>Whether the job has stopped working for good.</summary>
    public static bool IsEnded(QmpJobStatus status) => status is QmpJobStatus.Concluded or QmpJobStatus.Null;
}
