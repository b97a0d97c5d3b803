using System.Net.Sockets;

namespace Qmp.Net.Internal;

/// <summary>The byte stream a client speaks QMP over. The seam where TLS, a listening mode or file-descriptor passing
/// plug in: each is a transport, the protocol above does not change.</summary>
internal interface IQmpTransport : IDisposable
{
    /// <summary>Gets the socket underneath, when there is one (for SCM_RIGHTS and diagnostics).</summary>
    Socket? Socket { get; }

    /// <summary>Receives at most <paramref name="buffer"/>'s length; 0 means the peer closed the connection.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Receives at most <paramref name="buffer"/>'s length, blocking this thread until something arrives; 0 means
    /// the peer closed the connection. Used by a connection's dedicated reader thread (<see cref="QmpIoMode.DedicatedThread"/>);
    /// <see cref="Abort"/> ends a receive in progress with an error.</summary>
    /// <remarks>This default waits for <see cref="ReceiveAsync"/> (on a thread of the connection's own, which is there to
    /// block); a transport that can block in the receive itself does so.</remarks>
    int Receive(Memory<byte> buffer) => ReceiveAsync(buffer, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Closes the connection; pending receives and sends end with an error.</summary>
    void Abort();
}

/// <summary>A transport that can attach file descriptors to bytes it sends (a Unix domain socket).</summary>
internal interface IQmpDescriptorTransport
{
    /// <summary>Sends all of <paramref name="data"/>, with <paramref name="descriptors"/> attached to its first byte, so
    /// that the server receives them with this message and no other.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, ReadOnlyMemory<int> descriptors, CancellationToken cancellationToken);
}
