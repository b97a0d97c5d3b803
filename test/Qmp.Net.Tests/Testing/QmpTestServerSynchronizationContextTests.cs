using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Testing;

/// <summary>The test server never needs its caller's SynchronizationContext: a test that starts it from a UI-like thread
/// (a WPF or WinForms test, an xUnit context that is blocked) must still get a server that accepts and answers.</summary>
public class QmpTestServerSynchronizationContextTests
{
    [Test]
    public async Task A_server_started_under_a_context_that_never_runs_posted_work_accepts_and_answers()
    {
        var blackHole = new BlackHoleContext();
        var server = await Under(blackHole, () => QmpTestServer.StartAsync()).Bounded();
        try
        {
            server.Handle("query-status", _ => new { status = "running", running = true });
            var options = QmpClientOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(3) };
            await using var client = await TestSupport.ConnectAsync(server, options);

            var status = await client.ExecuteAsync("query-status").Bounded();

            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(blackHole.Posted, Is.Zero, "nothing of the server may be posted to the caller's context");
        }
        finally
        {
            // Bounded: with the bug the accept loop sits in the black hole and an unbounded dispose would hang the run.
            await server.DisposeAsync().AsTask().Bounded();
        }
    }

    [Test]
    public async Task An_event_written_in_pieces_from_under_a_context_that_never_runs_posted_work_arrives()
    {
        await using var server = await QmpTestServer.StartAsync(new QmpTestServerOptions { WriteChunkSize = 4 });
        await using var client = await TestSupport.ConnectAsync(server);
        var resumed = client.WaitForEventAsync("RESUME");
        var blackHole = new BlackHoleContext();

        // Between two pieces the server lets the client read: that pause must not be posted to the caller's context.
        await Under(blackHole, () => server.EmitEventAsync("RESUME", new { reason = "test" })).Bounded();
        var resume = await resumed.Bounded();

        Assert.That(resume.Data.GetProperty("reason").GetString(), Is.EqualTo("test"));
        Assert.That(blackHole.Posted, Is.Zero);
    }

    [Test]
    public async Task A_server_whose_client_connects_at_once_under_a_context_that_never_runs_posted_work_answers_in_band()
    {
        // The client's connect is already waiting when the accept loop starts, so the accept can complete synchronously
        // and the connection's first steps would run on the caller's thread, under its context.
        var path = Path.Combine(Directory.CreateTempSubdirectory("qmp-ctx-").FullName, "qmp.sock");
        var blackHole = new BlackHoleContext();
        await using var client = new QmpClient(QmpEndpoint.Unix(path), QmpClientOptions.Default with
        {
            ConnectRetry = QmpConnectRetry.Create(500, TimeSpan.FromMilliseconds(5)),
        });
        var connect = client.ConnectAsync();
        var server = await Under(blackHole, () => QmpTestServer.StartAsync(new QmpTestServerOptions { SocketPath = path })).Bounded();
        try
        {
            server.Handle("query-status", _ => new { status = "paused" });
            await connect.Bounded();

            var status = await client.ExecuteAsync("query-status").Bounded();

            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("paused"));
            Assert.That(blackHole.Posted, Is.Zero);
        }
        finally
        {
            await server.DisposeAsync().AsTask().Bounded();
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    /// <summary>Calls <paramref name="start"/> on this thread with <paramref name="context"/> as its SynchronizationContext.</summary>
    private static Task<T> Under<T>(SynchronizationContext context, Func<Task<T>> start)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            return start();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private static Task Under(SynchronizationContext context, Func<Task> start) =>
        Under(context, async () =>
        {
            await start().ConfigureAwait(false);
            return true;
        });

    /// <summary>A SynchronizationContext that never runs what is posted to it (a UI thread that is blocked or busy).</summary>
    private sealed class BlackHoleContext : SynchronizationContext
    {
        private int _posted;

        public int Posted => Volatile.Read(ref _posted);

        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posted);

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();
    }
}
