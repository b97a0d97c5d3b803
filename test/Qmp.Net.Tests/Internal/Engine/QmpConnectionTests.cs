using System.Net.Sockets;
using System.Text;
using Qmp.Net.Internal;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Internal;

/// <summary>The connection object owns its loops: its teardown waits for both, the write loop included.</summary>
public class QmpConnectionTests
{
    [Test]
    public async Task DisposeAsync_waits_for_a_send_still_in_progress_before_it_returns_the_send_buffer()
    {
        var transport = new GatedTransport();
        var client = new QmpClient(QmpEndpoint.Unix("/gated"), QmpClientOptions.Default, (_, _) => ValueTask.FromResult<IQmpTransport>(transport));
        await client.ConnectAsync().Bounded();

        // The first command's send hangs; two more queue behind it and leave together, coalesced into the pooled send
        // buffer, in a second send that hangs too and does not end when the transport is aborted.
        var first = client.ExecuteAsync("first");
        await transport.SendStarted(1).Bounded();
        var second = client.ExecuteAsync("second");
        var third = client.ExecuteAsync("third");
        transport.ReleaseSend(1);
        await transport.SendStarted(2).Bounded();
        Assert.That(transport.SentText(2), Is.EqualTo("""{"execute":"second"}{"execute":"third"}"""), "the coalesced send");

        var dispose = client.DisposeAsync().AsTask();

        // A bounded look for something that must not happen: the old code returned as soon as the read loop ended.
        var returnedEarly = dispose.Wait(TimeSpan.FromSeconds(1));
        transport.ReleaseSend(2);
        await dispose.Bounded();
        var outcomes = new[] { await TestSupport.ErrorOf(first), await TestSupport.ErrorOf(second), await TestSupport.ErrorOf(third) };

        Assert.Multiple(() =>
        {
            Assert.That(returnedEarly, Is.False, "DisposeAsync returned while the write loop was still sending from the send buffer");
            Assert.That(outcomes, Has.All.TypeOf<QmpConnectionClosedException>(), "every command ended with the connection");
        });
    }

    /// <summary>Greets and answers the negotiation; then every send hangs until the test releases it, and an abort ends
    /// receives but not sends (as a transport whose send is stuck in the kernel may).</summary>
    private sealed class GatedTransport : IQmpTransport
    {
        private readonly TaskCompletionSource _negotiationSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource[] _started = [.. Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        private readonly TaskCompletionSource[] _release = [.. Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        private readonly string[] _sent = new string[4];
        private int _receives;
        private int _sends;

        public Socket? Socket => null;

        public Task SendStarted(int index) => _started[index].Task;

        public void ReleaseSend(int index) => _release[index].TrySetResult();

        public string SentText(int index) => _sent[index];

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            switch (_receives++)
            {
                case 0:
                    return Write(buffer, """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}""");
                case 1:
                    await _negotiationSent.Task;
                    return Write(buffer, """{"return": {}}""");
                default:
                    await _aborted.Task;
                    throw new ObjectDisposedException("transport");
            }
        }

        public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            var index = _sends++;
            if (index == 0)
            {
                _negotiationSent.TrySetResult();
                return;
            }

            _sent[index] = Encoding.UTF8.GetString(data.Span);
            _started[index].TrySetResult();
            await _release[index].Task;
        }

        public void Abort() => _aborted.TrySetResult();

        public void Dispose()
        {
        }

        private static int Write(Memory<byte> buffer, string text) => Encoding.UTF8.GetBytes(text, buffer.Span);
    }
}
