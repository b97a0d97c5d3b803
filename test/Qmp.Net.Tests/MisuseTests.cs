using System.Collections.Concurrent;
using System.Text.Json;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>A caller doing everything at once, twice, late or half-way: every task ends with a documented outcome, no
/// answer reaches the wrong caller, and what should stay usable does.</summary>
public class MisuseTests
{
    private static async Task<QmpTestServer> EchoServerAsync()
    {
        var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => args);
        return server;
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [CancelAfter(60_000)]
    public async Task Concurrent_DisposeAsync_Abort_and_DisconnectAsync_from_many_threads_end_all_1000_in_flight_commands(int seed)
    {
        const int commands = 1000, threads = 24;
        await using var server = await EchoServerAsync();
        var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();
        var random = new Random(seed);
        if (seed > 1)
        {
            gate.Open(); // replies flow while the teardown runs, so some commands are answered first
        }

        var tasks = Enumerable.Range(0, commands).Select(n => client.ExecuteAsync("echo", new { N = n })).ToArray();
        await server.WaitForCommandAsync("echo").Bounded();
        using var start = new ManualResetEventSlim();
        var operations = Enumerable.Range(0, threads).Select(t =>
        {
            var what = random.Next(4);
            return Task.Run(async () =>
            {
                start.Wait();
                switch (what)
                {
                    case 0:
                        await client.DisposeAsync();
                        break;
                    case 1:
                        client.Abort();
                        break;
                    case 2:
                        await client.DisconnectAsync();
                        break;
                    default:
                        gate.Open(); // let replies race the teardown
                        break;
                }
            });
        }).ToList();
        operations.Add(Task.Run(async () =>
        {
            start.Wait();
            await client.DisposeAsync(); // at least one teardown, whatever the dice say
        }));
        start.Set();

        var operationErrors = new List<Exception?>();
        foreach (var operation in operations)
        {
            operationErrors.Add(await TestSupport.ErrorOf(operation));
        }

        var outcomes = new List<string>();
        for (var n = 0; n < commands; n++)
        {
            var error = await TestSupport.ErrorOf(tasks[n]);
            outcomes.Add(error switch
            {
                null when tasks[n].Result.GetProperty("n").GetInt32() == n => "answered",
                null => "wrong answer",
                QmpConnectionClosedException => "closed",
                _ => error.GetType().Name,
            });
        }

        TestContext.Out.WriteLine(string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.Multiple(async () =>
        {
            Assert.That(operationErrors, Has.All.Null, "DisposeAsync, Abort and DisconnectAsync without a token never throw");
            Assert.That(outcomes, Has.All.AnyOf("answered", "closed"));
            Assert.That(tasks, Has.All.Property(nameof(Task.IsCompleted)).True);
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null, "a teardown by the caller is a clean end");
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
            Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync("echo")), Is.TypeOf<QmpConnectionClosedException>());
        });
        await server.WaitForDisconnectAsync().Bounded();
    }

    [Test]
    public async Task Every_call_after_DisposeAsync_raises_QmpConnectionClosedException()
    {
        await using var server = await EchoServerAsync();
        var client = await TestSupport.ConnectAsync(server);
        await client.DisposeAsync().AsTask().Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync("echo")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync<JsonElement>("echo")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.ExecuteOobAsync("echo")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.WaitForEventAsync("STOP")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.DisconnectAsync()), Is.Null, "disconnecting a closed client is a no-op");
            Assert.That(() => client.Abort(), Throws.Nothing);
            Assert.That(client.Events.Completion.IsCompleted, Is.True);
        });
    }

    [Test]
    public async Task Every_call_after_Abort_raises_QmpConnectionClosedException()
    {
        await using var server = await EchoServerAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        client.Abort();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(client.ExecuteAsync("echo")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.ExecuteOobAsync("echo")), Is.TypeOf<QmpConnectionClosedException>());
            Assert.That(await TestSupport.ErrorOf(client.Completion), Is.Null);
        });
    }

    /// <summary>When a command of a storm is cancelled.</summary>
    private enum CancelPoint
    {
        Never,
        BeforeWrite,
        AfterWrite,
        RacingTheReply,
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_storm_of_10000_commands_cancelled_at_random_moments_ends_every_task_and_misroutes_no_answer()
    {
        const int rounds = 625, window = 8, perRound = 2 * window; // 10,000 commands
        await using var server = await EchoServerAsync();
        await using var client = await TestSupport.ConnectAsync(server);
        Assert.That(client.NegotiatedCapabilities, Does.Contain("oob"), "the in-band window of 8 holds the second half of each round unwritten");
        var random = new Random(20261125);
        var points = new CancelPoint[rounds * perRound];
        var outcomes = new ConcurrentBag<string>();

        for (var round = 0; round < rounds; round++)
        {
            var first = round * perRound;
            var gate = server.HoldReplies();
            var sources = new CancellationTokenSource[perRound];
            var tasks = new Task<JsonElement>[perRound];
            for (var i = 0; i < perRound; i++)
            {
                sources[i] = new CancellationTokenSource();
                tasks[i] = client.ExecuteAsync("echo", new { N = first + i }, sources[i].Token);
            }

            // The first 8 fill the window and are written; the other 8 wait for it, unwritten, while replies are held.
            await server.WaitForCommandAsync(c => c.Name == "echo" && c.Arguments.GetProperty("n").GetInt32() == first + window - 1).Bounded();
            for (var i = 0; i < perRound; i++)
            {
                var dice = random.Next(4);
                points[first + i] = dice switch
                {
                    0 or 1 => i < window ? CancelPoint.AfterWrite : CancelPoint.BeforeWrite,
                    2 => CancelPoint.RacingTheReply,
                    _ => CancelPoint.Never,
                };
                if (points[first + i] is CancelPoint.AfterWrite or CancelPoint.BeforeWrite)
                {
                    sources[i].Cancel();
                }
            }

            var racers = Enumerable.Range(0, perRound).Where(i => points[first + i] == CancelPoint.RacingTheReply)
                .Select(i => Task.Run(sources[i].Cancel)).ToList();
            gate.Open();
            await Task.WhenAll(racers).Bounded();
            for (var i = 0; i < perRound; i++)
            {
                var error = await TestSupport.ErrorOf(tasks[i]);
                var point = points[first + i];
                outcomes.Add((point, error) switch
                {
                    (CancelPoint.BeforeWrite or CancelPoint.AfterWrite, OperationCanceledException) => "cancelled as asked",
                    (CancelPoint.RacingTheReply, OperationCanceledException) => "cancelled as asked",
                    (CancelPoint.Never or CancelPoint.RacingTheReply, null) when tasks[i].Result.GetProperty("n").GetInt32() == first + i => "own answer",
                    (_, null) => $"WRONG ANSWER {tasks[i].Result.GetRawText()} for {first + i}",
                    _ => $"{point}: {error.GetType().Name}",
                });
                sources[i].Dispose();
            }

            // A task cancelled after its write ends at once, but its reply is still on its way. An uncancelled command
            // behind it is answered only after it (FIFO), so once it is, the next round starts with an empty window.
            var sync = await client.ExecuteAsync("echo", new { N = -2 - round }).Bounded();
            if (sync.GetProperty("n").GetInt32() != -2 - round)
            {
                outcomes.Add($"WRONG ANSWER {sync.GetRawText()} for sync {round}");
            }
        }

        var last = await client.ExecuteAsync("echo", new { N = -1 }).Bounded();
        var received = server.Commands.Where(c => c.Name == "echo").Select(c => c.Arguments.GetProperty("n").GetInt32()).ToHashSet();
        var sentAlthoughCancelledBeforeWrite = Enumerable.Range(0, points.Length).Count(n => points[n] == CancelPoint.BeforeWrite && received.Contains(n));
        var counts = points.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Out.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key}: {kv.Value}")));
        TestContext.Out.WriteLine(string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key}: {g.Count()}")));

        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Has.Count.EqualTo(rounds * perRound), "every task ended, every sync command got its own answer");
            Assert.That(outcomes, Has.All.AnyOf("cancelled as asked", "own answer"));
            Assert.That(counts[CancelPoint.BeforeWrite], Is.InRange(2000, 3000), "about half the cancellations come before the write");
            Assert.That(counts[CancelPoint.AfterWrite], Is.InRange(2000, 3000), "and half after it");
            Assert.That(sentAlthoughCancelledBeforeWrite, Is.Zero, "a command cancelled before its write is never sent");
            Assert.That(last.GetProperty("n").GetInt32(), Is.EqualTo(-1), "the connection stays usable");
            Assert.That(client.Completion.IsCompleted, Is.False);
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        });
    }
}
