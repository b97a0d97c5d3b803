using System.Net.Sockets;
using System.Text;
using Qmp.Net.Internal;
using Qmp.Net.Qga;

namespace Qmp.Net.Tests.Qga;

/// <summary>The guest agent's byte stream, fed from memory: what it delivers and what it costs.</summary>
public sealed class QgaChannelTests
{
    [Test]
    public async Task A_whole_message_is_delivered_before_a_parse_error_that_follows_it_in_the_same_read()
    {
        using var channel = new QgaChannel(new MemoryTransport(Encoding.UTF8.GetBytes("{\"return\": {}, \"id\": 7}\n garbage\n")), QmpClientOptions.DefaultMaxMessageBytes);

        using var first = await channel.ReadMessageAsync(CancellationToken.None);
        var error = await ErrorOf(channel);

        Assert.Multiple(() =>
        {
            Assert.That(first!.RootElement.GetProperty("id").GetInt64(), Is.EqualTo(7));
            Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
        });
    }

    [Test]
    [NonParallelizable]
    public async Task Refusing_a_20_MiB_reply_allocates_little_more_than_the_16_MiB_limit()
    {
        const int limit = QmpClientOptions.DefaultMaxMessageBytes;
        var reply = new byte[20 << 20];
        reply.AsSpan().Fill((byte)'x');
        "{\"return\": \""u8.CopyTo(reply);
        using (var warm = new QgaChannel(new MemoryTransport("{\"return\": {}}"u8.ToArray()), limit))
        {
            (await warm.ReadMessageAsync(CancellationToken.None))!.Dispose();
            await ErrorOf(new QgaChannel(new MemoryTransport("x"u8.ToArray()), limit));
        }

        using var channel = new QgaChannel(new MemoryTransport(reply), limit);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await ErrorOf(channel);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        TestContext.Out.WriteLine($"allocated {allocated:N0} bytes refusing a {reply.Length:N0}-byte reply against {limit:N0}");

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Message.Contains("MaxMessageBytes"));
            Assert.That(allocated, Is.LessThan(limit + (limit / 2)), "what is allocated is bounded by the limit, not by twice it");
        });
    }

    private static async Task<Exception?> ErrorOf(QgaChannel channel)
    {
        try
        {
            while (await channel.ReadMessageAsync(CancellationToken.None) is { } message)
            {
                message.Dispose();
            }

            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Hands out the given bytes in reads of whatever size the reader asks for, then the end of the stream.</summary>
    private sealed class MemoryTransport(byte[] data) : IQmpTransport
    {
        private int _offset;

        public Socket? Socket => null;

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var count = Math.Min(buffer.Length, data.Length - _offset);
            data.AsSpan(_offset, count).CopyTo(buffer.Span);
            _offset += count;
            return ValueTask.FromResult(count);
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Abort()
        {
        }

        public void Dispose()
        {
        }
    }
}
