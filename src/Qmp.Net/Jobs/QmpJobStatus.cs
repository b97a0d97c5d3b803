namespace Qmp.Net.Jobs;

/// <summary>The states of a QEMU job (QEMU's <c>JobStatus</c>), in the order a job usually passes through them.</summary>
public enum QmpJobStatus
{
    /// <summary>A status this library does not know (a newer QEMU), or none seen yet.</summary>
    Undefined = 0,

    /// <summary>The job exists but has not started.</summary>
    Created,

    /// <summary>The job is working.</summary>
    Running,

    /// <summary>The job is paused: by request, for a moment (backup jobs pause briefly on their own), or after an I/O
    /// error with <c>on-error=stop</c> (<see cref="QmpJob.IsPausedOnError"/>).</summary>
    Paused,

    /// <summary>The job has caught up and can be completed (mirror, active commit).</summary>
    Ready,

    /// <summary>A ready job that is paused.</summary>
    Standby,

    /// <summary>The job has finished its work and waits for the other jobs of its transaction.</summary>
    Waiting,

    /// <summary>The job waits to be finalized (<c>auto-finalize=false</c>).</summary>
    Pending,

    /// <summary>The job is failing or being cancelled.</summary>
    Aborting,

    /// <summary>The job has ended and waits to be dismissed; its outcome is in <c>query-jobs</c>.</summary>
    Concluded,

    /// <summary>The job is gone (dismissed).</summary>
    Null,
}
