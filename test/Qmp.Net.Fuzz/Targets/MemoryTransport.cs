using System.Net.Sockets;
using Qmp.Net.Internal;

namespace Qmp.Net.Fuzz.Targets;

/// <summary>A transport that plays back a server's byte stream from memory: first everything up to the first line feed
/// (the greeting); then, once the client has written something (or at once, when the client has not accepted a greeting
/// and so will write nothing), the rest in chunks of the given size; then end of stream.</summary>
internal sealed class MemoryTransport(byte[] input, int chunkSize, Func<bool> greetingAccepted) : IQmpTransport
{
    private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;
    private bool _greetingSent;
    private int _aborted;

    public Socket? Socket => null;

    public int BytesWritten { get; private set; }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _aborted) != 0)
        {
            throw new ObjectDisposedException(nameof(MemoryTransport));
        }

        int end;
        if (!_greetingSent)
        {
            _greetingSent = true;
            var lf = Array.IndexOf(input, (byte)'\n');
            end = lf < 0 ? input.Length : lf + 1;
        }
        else
        {
            if (greetingAccepted())
            {
                await _firstWrite.Task.WaitAsync(cancellationToken);
            }

            end = Math.Min(input.Length, _position + chunkSize);
        }

        var count = Math.Min(end - _position, buffer.Length);
        input.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return count;
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _aborted) != 0)
        {
            throw new ObjectDisposedException(nameof(MemoryTransport));
        }

        BytesWritten += data.Length;
        _firstWrite.TrySetResult();
        return default;
    }

    public void Abort()
    {
        Volatile.Write(ref _aborted, 1);
        _firstWrite.TrySetResult();
    }

    public void Dispose() => Abort();
}
