namespace Qmp.Net.Sessions;

/// <summary>One item of a <see cref="QmpSession"/>'s event stream: a QMP event, or a gap marker after a reconnect.</summary>
public sealed class QmpSessionEvent
{
    internal QmpSessionEvent(QmpEvent? qmpEvent, QmpSessionGap? gap)
    {
        Event = qmpEvent;
        Gap = gap;
    }

    /// <summary>Gets the event, or <see langword="null"/> for a gap marker.</summary>
    public QmpEvent? Event { get; }

    /// <summary>Gets the gap, or <see langword="null"/> for an event.</summary>
    public QmpSessionGap? Gap { get; }

    /// <summary>Gets a value indicating whether this item marks a gap (a reconnect) rather than carrying an event.</summary>
    public bool IsGap => Gap is not null;

    /// <inheritdoc />
    public override string ToString() => Gap is { } gap ? $"gap ({gap.Reason}, {gap.Duration.TotalMilliseconds:0} ms)" : Event!.Name;
}
