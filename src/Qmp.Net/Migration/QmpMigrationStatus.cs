namespace Qmp.Net.Migration;

/// <summary>The states of a migration (QEMU's <c>MigrationStatus</c>), as <c>MIGRATION</c> events and <c>query-migrate</c> report them.</summary>
public enum QmpMigrationStatus
{
    /// <summary>A status this library does not know (a newer QEMU), or none seen yet.</summary>
    Unknown = 0,

    /// <summary>No migration has run (<c>none</c>).</summary>
    None,

    /// <summary>The migration is being set up (<c>setup</c>).</summary>
    Setup,

    /// <summary>RAM and devices are being sent or received (<c>active</c>).</summary>
    Active,

    /// <summary>The source waits before switching over (<c>pre-switchover</c>, with that capability on).</summary>
    PreSwitchover,

    /// <summary>The device state is being sent, after RAM (<c>device</c>, QEMU 10.0 shows it).</summary>
    Device,

    /// <summary>The migration waits for the guest to unplug a device (<c>wait-unplug</c>).</summary>
    WaitUnplug,

    /// <summary>Postcopy is running: the destination runs the VM and pulls missing pages (<c>postcopy-active</c>).</summary>
    PostcopyActive,

    /// <summary>Postcopy lost its connection; both VMs wait for <c>migrate-recover</c> and a resumed <c>migrate</c> (<c>postcopy-paused</c>).</summary>
    PostcopyPaused,

    /// <summary>Postcopy recovery is being set up (<c>postcopy-recover-setup</c>, QEMU 9.1+).</summary>
    PostcopyRecoverSetup,

    /// <summary>Postcopy is recovering (<c>postcopy-recover</c>).</summary>
    PostcopyRecover,

    /// <summary>The migration is being cancelled (<c>cancelling</c>).</summary>
    Cancelling,

    /// <summary>The migration was cancelled; the source keeps running (<c>cancelled</c>).</summary>
    Cancelled,

    /// <summary>The migration succeeded (<c>completed</c>).</summary>
    Completed,

    /// <summary>The migration failed (<c>failed</c>); <c>query-migrate</c>'s <c>error-desc</c> says why.</summary>
    Failed,

    /// <summary>COLO fault tolerance is running (<c>colo</c>).</summary>
    Colo,
}
