using System.Text.Json.Nodes;

namespace Qmp.Net.Migration;

/// <summary>The capabilities and parameters a <see cref="QmpMigration"/> sets before it starts; <see langword="null"/>
/// members are left as QEMU has them. The <c>events</c> capability is always turned on.</summary>
public sealed record QmpMigrationOptions
{
    /// <summary>Gets the default options: only the <c>events</c> capability.</summary>
    public static QmpMigrationOptions Default { get; } = new();

    /// <summary>Gets the bandwidth limit in bytes per second (<c>max-bandwidth</c>).</summary>
    /// <value>The default value is <see langword="null"/> (QEMU's own, 128 MiB/s).</value>
    public long? MaxBandwidth { get; init; }

    /// <summary>Gets the longest acceptable pause at switchover (<c>downtime-limit</c>).</summary>
    /// <value>The default value is <see langword="null"/> (QEMU's own, 300 ms).</value>
    public TimeSpan? DowntimeLimit { get; init; }

    /// <summary>Gets whether RAM goes over several channels (<c>multifd</c> capability; set it on both ends).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public bool? Multifd { get; init; }

    /// <summary>Gets the number of multifd channels (<c>multifd-channels</c>).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? MultifdChannels { get; init; }

    /// <summary>Gets whether postcopy may be started (<c>postcopy-ram</c> capability; set it on both ends).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public bool? PostcopyRam { get; init; }

    /// <summary>Gets further capabilities by QEMU name (e.g. <c>xbzrle</c>, <c>pause-before-switchover</c>).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyDictionary<string, bool> Capabilities { get; init; } = new Dictionary<string, bool>();

    /// <summary>Gets further parameters for <c>migrate-set-parameters</c>, by QEMU name.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public JsonObject? Parameters { get; init; }

    /// <summary>Gets the time between two <c>query-migrate</c> reads while progress is watched.</summary>
    /// <value>The default value is 500 milliseconds.</value>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets how long one progress read may take before it is skipped (QEMU can be too busy to answer during
    /// switchover); a skipped read does not fail the migration.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan ProgressQueryTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the clock for progress polling; tests pass a fake one.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
