using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>The client never needs the caller's SynchronizationContext: a UI thread that blocks on a call, or whose
/// message loop is busy, must not stop the connection.</summary>
public class SynchronizationContextTests
{
    [Test]
    public async Task Connecting_and_pipelining_work_under_a_context_that_never_runs_posted_work()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => new { status = "running", running = true });
        var client = new QmpClient(server.Endpoint);
        try
        {
            await RunAsync(client);
        }
        finally
        {
            // Bounded: with the bug, the read loop sits in the black hole and an unbounded dispose would hang the run.
            await client.DisposeAsync().AsTask().Bounded();
        }
    }

    private static async Task RunAsync(QmpClient client)
    {
        var blackHole = new BlackHoleContext();

        Task connect;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(blackHole);
        try
        {
            connect = client.ConnectAsync();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        await connect.Bounded();

        // Many commands at once, issued from inside continuations of answers, while the context swallows everything.
        var results = await Task.Run(async () =>
        {
            SynchronizationContext.SetSynchronizationContext(blackHole);
            var calls = Enumerable.Range(0, 64).Select(async _ =>
            {
                for (var i = 0; i < 20; i++)
                {
                    await client.ExecuteAsync("query-status").ConfigureAwait(false);
                }

                return true;
            }).ToArray();
            SynchronizationContext.SetSynchronizationContext(null);
            return await Task.WhenAll(calls).ConfigureAwait(false);
        }).Bounded();

        Assert.That(results, Has.Length.EqualTo(64).And.All.True);
        Assert.That(blackHole.Posted, Is.Zero, "nothing of the client may be posted to the caller's context");
    }

    private sealed class BlackHoleContext : SynchronizationContext
    {
        private int _posted;

        public int Posted => Volatile.Read(ref _posted);

        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posted);

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();
    }
}
