namespace Qmp.Net;

/// <summary>Describes a change of <see cref="QmpClient.State"/>.</summary>
public sealed class QmpStateChangedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="QmpStateChangedEventArgs"/> class.</summary>
    /// <param name="oldState">The state before the change.</param>
    /// <param name="newState">The state after the change.</param>
    public QmpStateChangedEventArgs(QmpState oldState, QmpState newState)
    {
        OldState = oldState;
        NewState = newState;
    }

    /// <summary>Gets the state before the change.</summary>
    public QmpState OldState { get; }

    /// <summary>Gets the state after the change.</summary>
    public QmpState NewState { get; }

    /// <inheritdoc />
    public override string ToString() => $"{OldState} -> {NewState}";
}
