using System.Diagnostics;
using System.Net.Sockets;
using Qmp.Net.Internal;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary><see cref="QmpClient.Abort"/> and <see cref="QmpClient.DisposeAsync"/> while <see cref="QmpClient.ConnectAsync(CancellationToken)"/>
/// is under way: connecting ends promptly, nothing is attempted afterwards, and dispose returns only once the I/O has stopped.</summary>
public class DisposeWhileConnectingTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(2);

    /// <summary>How long a listener waits to be sure nobody comes: several retry intervals.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    private static QmpClientOptions Retrying => QmpClientOptions.Default with { ConnectRetry = QmpConnectRetry.Create(50, TimeSpan.FromMilliseconds(100)) };

    [Test]
    public async Task Disposing_during_a_retrying_connect_ends_it_promptly_with_QmpConnectionClosedException_and_nothing_connects_afterwards()
    {
        var path = Path.Combine(Path.GetTempPath(), $"qmp-missing-{Guid.NewGuid():N}.sock");
        var attempts = 0;
        var secondAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new QmpClient(QmpEndpoint.Unix(path), Retrying, (endpoint, token) =>
        {
            if (Interlocked.Increment(ref attempts) == 2)
            {
                secondAttempt.TrySetResult();
            }

            return SocketTransport.ConnectAsync(endpoint, token);
        });

        var connecting = client.ConnectAsync();
        await secondAttempt.Task.Bounded();
        var clock = Stopwatch.StartNew();
        await client.DisposeAsync().AsTask().Bounded();
        var attemptsAtDispose = Volatile.Read(ref attempts);
        var error = await TestSupport.ErrorOf(connecting);
        var ended = clock.Elapsed;

        Socket? late = null;
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            var accept = listener.AcceptAsync();
            if (await Task.WhenAny(accept, Task.Delay(Quiet)) == accept)
            {
                late = await accept;
                late.Dispose();
            }
            else
            {
                // Nobody came, which is what the test wants; closing the listener ends the accept.
                listener.Dispose();
                await accept.Settled();
            }

            File.Delete(path);
        }

        Assert.Multiple(() =>
        {
            Assert.That(connecting.IsCompleted, Is.True, "connecting had ended when DisposeAsync returned");
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(ended, Is.LessThan(Prompt));
            Assert.That(late, Is.Null, "no connection attempt after the dispose");
            Assert.That(Volatile.Read(ref attempts), Is.EqualTo(attemptsAtDispose));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task Abort_during_a_retrying_connect_ends_it_promptly_with_QmpConnectionClosedException()
    {
        var path = Path.Combine(Path.GetTempPath(), $"qmp-missing-{Guid.NewGuid():N}.sock");
        await using var client = new QmpClient(QmpEndpoint.Unix(path), Retrying);

        var connecting = client.ConnectAsync();
        client.Abort();
        var clock = Stopwatch.StartNew();
        var error = await TestSupport.ErrorOf(connecting);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(clock.Elapsed, Is.LessThan(Prompt));
        });
    }

    [Test]
    public async Task DisposeAsync_called_as_the_transport_is_handed_over_returns_only_after_the_read_loop_has_stopped()
    {
        var transport = new ScriptedTransport();
        var client = new QmpClient(QmpEndpoint.Unix("/scripted"), null, (_, _) => ValueTask.FromResult<IQmpTransport>(transport));
        Task? disposing = null;
        var receivingWhenDisposed = -1;
        var receivesWhenDisposed = -1;
        client.StateChanged += (_, e) =>
        {
            if (e.NewState == QmpState.AwaitingGreeting)
            {
                disposing = client.DisposeAsync().AsTask().ContinueWith(
                    _ =>
                    {
                        // The moment DisposeAsync's task completes: no I/O may run now or later.
                        receivingWhenDisposed = transport.ActiveReceives;
                        receivesWhenDisposed = transport.Receives;
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        };

        var error = await TestSupport.ErrorOf(client.ConnectAsync());
        await disposing!.Bounded();

        // A read loop started after DisposeAsync returned would call ReceiveAsync soon: give it the chance.
        await Task.WhenAny(transport.Received, Task.Delay(Quiet));
        var lateReceive = transport.Receives > receivesWhenDisposed;

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(receivingWhenDisposed, Is.Zero);
            Assert.That(lateReceive, Is.False, "no receive started after DisposeAsync returned");
            Assert.That(transport.Aborted, Is.True);
        });
    }

    [Test]
    public async Task A_negotiation_error_is_reported_as_itself_when_connecting_with_retries()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("qmp_capabilities", "GenericError", "negotiation refused");

        var error = await TestSupport.ErrorOf(QmpClient.ConnectAsync(server.Endpoint, Retrying));

        Assert.That(error, Is.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.Command)).EqualTo("qmp_capabilities"));
    }

    [Test]
    public async Task A_bad_greeting_is_reported_as_itself_when_connecting_with_retries()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { SendGreeting = false });
        var connecting = QmpClient.ConnectAsync(server.Endpoint, Retrying);
        await server.WaitForClientAsync().Bounded();
        await server.SendRawAsync("{\"QMP\": {\"version\": 7}}\r\n").Bounded();

        var error = await TestSupport.ErrorOf(connecting);

        Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    /// <summary>A transport that never delivers anything and counts its receives.</summary>
    private sealed class ScriptedTransport : IQmpTransport
    {
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _active;
        private int _receives;

        public Socket? Socket => null;

        public int ActiveReceives => Volatile.Read(ref _active);

        public int Receives => Volatile.Read(ref _receives);

        public bool Aborted => _aborted.Task.IsCompleted;

        public Task Received => _received.Task;

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _receives);
            Interlocked.Increment(ref _active);
            _received.TrySetResult();
            try
            {
                await _aborted.Task.WaitAsync(cancellationToken);
                throw new ObjectDisposedException(nameof(ScriptedTransport));
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => default;

        public void Abort() => _aborted.TrySetResult();

        public void Dispose() => Abort();
    }
}
