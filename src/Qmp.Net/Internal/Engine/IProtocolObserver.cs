namespace Qmp.Net.Internal;

/// <summary>What the protocol core reports to the layer that drives it (the client's lifecycle). Owned by the engine: the
/// core knows this interface, never the client. Calls are made with no lock of the engine held.</summary>
internal interface IProtocolObserver
{
    /// <summary>The greeting arrived (once, as the first message).</summary>
    void OnGreeting(QmpGreeting greeting);

    /// <summary>The number of live commands dropped to zero (it may have risen again by the time this runs: check).</summary>
    void OnNoCommandsLive();

    /// <summary>Room opened in the in-band window while commands wait: something should write.</summary>
    void OnWriteNeeded();

    /// <summary>The transaction timer expired: no message arrived in time while an answer was expected.</summary>
    void OnTransactionTimeout(QmpCommunicationException timeout);
}
