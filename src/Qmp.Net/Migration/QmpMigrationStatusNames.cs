namespace Qmp.Net.Migration;

/// <summary>Converts QEMU's migration status strings.</summary>
internal static class QmpMigrationStatusNames
{
    public static QmpMigrationStatus Parse(string? name) => name switch
    {
        "none" => QmpMigrationStatus.None,
        "setup" => QmpMigrationStatus.Setup,
        "active" => QmpMigrationStatus.Active,
        "pre-switchover" => QmpMigrationStatus.PreSwitchover,
        "device" => QmpMigrationStatus.Device,
        "wait-unplug" => QmpMigrationStatus.WaitUnplug,
        "postcopy-active" => QmpMigrationStatus.PostcopyActive,
        "postcopy-paused" => QmpMigrationStatus.PostcopyPaused,
        "postcopy-recover-setup" => QmpMigrationStatus.PostcopyRecoverSetup,
        "postcopy-recover" => QmpMigrationStatus.PostcopyRecover,
        "cancelling" => QmpMigrationStatus.Cancelling,
        "cancelled" => QmpMigrationStatus.Cancelled,
        "completed" => QmpMigrationStatus.Completed,
        "failed" => QmpMigrationStatus.Failed,
        "colo" => QmpMigrationStatus.Colo,
        _ => QmpMigrationStatus.Unknown,
    };

    public static bool IsTerminal(QmpMigrationStatus status) =>
        status is QmpMigrationStatus.Completed or QmpMigrationStatus.Failed or QmpMigrationStatus.Cancelled;
}
