namespace Qmp.Net.Internal;

/// <summary>What a <see cref="PendingCommand"/> tells the table that holds it. Owned by the engine, so that a command never
/// refers to the client above it.</summary>
internal interface ICommandOwner
{
    /// <summary>The command's caller cancelled it before it was written: it no longer counts as live.</summary>
    void OnCancelledBeforeWrite(PendingCommand command);
}
