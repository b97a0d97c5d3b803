namespace Qmp.Net.Internal;

/// <summary>Where a <see cref="QmpConnection"/> reports its state changes: the client's <c>StateChanged</c> dispatch. Owned by
/// the engine, so that the connection never refers to the client.</summary>
internal interface IConnectionListener
{
    /// <summary>Gets a value indicating whether anyone listens (state changes are not queued otherwise).</summary>
    bool WantsStateChanges { get; }

    /// <summary>One state change, reported once, in order, by one thread at a time, with no lock of the engine held.</summary>
    void OnStateChanged(QmpState oldState, QmpState newState);
}
