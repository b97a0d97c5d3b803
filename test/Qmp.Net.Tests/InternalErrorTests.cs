using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Qmp.Net.Internal;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>A bug in the library is reported as one: not blamed on the server as a protocol violation.</summary>
public class InternalErrorTests
{
    [Test]
    public async Task An_unexpected_exception_in_the_read_loop_is_logged_as_an_internal_error_not_as_the_servers_UnexpectedResponse()
    {
        using var logs = new ListLoggerFactory();
        var transport = new FailingTransport();
        await using var client = new QmpClient(QmpEndpoint.Unix("/internal"), QmpClientOptions.Default with { LoggerFactory = logs }, (_, _) => ValueTask.FromResult<IQmpTransport>(transport));
        await client.ConnectAsync().Bounded();

        transport.FailNextReceive.TrySetResult();
        var completionError = await TestSupport.ErrorOf(client.Completion);
        var internalErrors = logs.WithId(QmpEventId.InternalError).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(completionError, Is.Not.InstanceOf<QmpCommunicationException>(), "not blamed on the server");
            Assert.That(completionError, Is.TypeOf<InvalidOperationException>().With.Message.Contains("internal error"));
            Assert.That(completionError!.InnerException, Is.SameAs(transport.Thrown));
            Assert.That(internalErrors, Has.Count.EqualTo(1));
            Assert.That(internalErrors[0].Level, Is.EqualTo(LogLevel.Error));
            Assert.That(internalErrors[0].Exception, Is.SameAs(transport.Thrown));
            Assert.That(logs.WithId(QmpEventId.ConnectionFailed), Is.Empty);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    /// <summary>Greets, answers the negotiation, then throws what no transport may throw.</summary>
    private sealed class FailingTransport : IQmpTransport
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _step;

        public TaskCompletionSource FailNextReceive { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception Thrown { get; } = new InvalidOperationException("a bug below the read loop");

        public Socket? Socket => null;

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            switch (_step++)
            {
                case 0:
                    return Write(buffer, """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}""");
                case 1:
                    await _written.Task.WaitAsync(cancellationToken);
                    return Write(buffer, """{"return": {}}""");
                default:
                    await FailNextReceive.Task.WaitAsync(cancellationToken);
                    throw Thrown;
            }
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            _written.TrySetResult();
            return default;
        }

        public void Abort()
        {
        }

        public void Dispose()
        {
        }

        private static int Write(Memory<byte> buffer, string text) => Encoding.UTF8.GetBytes(text, buffer.Span);
    }
}
