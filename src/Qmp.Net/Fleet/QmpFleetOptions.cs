namespace Qmp.Net.Fleet;

/// <summary>How a <see cref="QmpFleet"/> connects and bounds its commands.</summary>
/// <remarks>Options are immutable; derive a changed copy with a <c>with</c> expression.</remarks>
public sealed record QmpFleetOptions
{
    /// <summary>Gets the default options.</summary>
    public static QmpFleetOptions Default { get; } = new();

    /// <summary>Gets the options of each member's <see cref="QmpClient"/>.</summary>
    /// <value>The default value is <see langword="null"/>, meaning <see cref="QmpClientOptions.Default"/>.</value>
    public QmpClientOptions? ClientOptions { get; init; }

    /// <summary>Gets how long one command to one VM may take, a lazy connect included. A command that runs over fails with
    /// <see cref="QmpCommandTimeoutException"/>; the connection stays (a late reply is matched and dropped).</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets how many VMs <see cref="QmpFleet.FanOutAsync(string, object?, IEnumerable{string}?, CancellationToken)"/>
    /// talks to at once.</summary>
    /// <value>The default value is 16.</value>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Gets how many tagged events the fan-in stream buffers; when full, the oldest is dropped and counted in
    /// <see cref="QmpFleet.DroppedEventCount"/>.</summary>
    /// <value>The default value is 4096.</value>
    public int EventCapacity { get; init; } = 4096;

    /// <summary>Gets the clock of the command timeouts.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets the directory of the per-VM wire transcripts, for post-mortems: each VM's messages, sent and received,
    /// as JSON lines (<c>time</c>, <c>dir</c>, <c>msg</c>) in <c>NAME.jsonl</c>, with secrets masked as in the library's
    /// logs. When the file passes half of <see cref="TranscriptMaxBytes"/> it is renamed <c>NAME.jsonl.1</c> (replacing the
    /// older one), so a VM's transcript never takes more than the bound.</summary>
    /// <value>The default value is <see langword="null"/>: no transcripts. The directory is created (0700) if missing.</value>
    public string? TranscriptDirectory { get; init; }

    /// <summary>Gets the bound of one VM's transcript (its two files together). A single message larger than half the bound
    /// is written as its size (<c>truncatedBytes</c>) instead of its text.</summary>
    /// <value>The default value is 4 MiB; at least 4 KiB.</value>
    public long TranscriptMaxBytes { get; init; } = 4 * 1024 * 1024;
}
