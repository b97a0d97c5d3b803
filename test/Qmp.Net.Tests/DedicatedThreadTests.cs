using System.Text.Json;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary><see cref="QmpIoMode.DedicatedThread"/>: the connection is read by a thread of its own, and an answered caller
/// resumes on it; every guarantee of the default mode holds (docs/protocol.md).</summary>
public class DedicatedThreadTests
{
    private const string ReaderThreadName = "Qmp.Net reader";
    private static readonly TimeSpan OtherThreadBound = TimeSpan.FromSeconds(2);
    private static readonly QmpClientOptions Dedicated = new() { IoMode = QmpIoMode.DedicatedThread };

    [Test]
    public async Task Sequential_and_concurrent_commands_get_their_own_answers()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", args => new { value = args.GetProperty("value").GetInt32() });
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);

        for (var i = 0; i < 50; i++)
        {
            var answer = await client.ExecuteAsync("echo", new { value = i }).Bounded();
            Assert.That(answer.GetProperty("value").GetInt32(), Is.EqualTo(i));
        }

        var concurrent = Enumerable.Range(0, 40).Select(i => Task.Run(() => client.ExecuteAsync("echo", new { value = i }))).ToArray();
        var answers = await Task.WhenAll(concurrent).Bounded();
        Assert.That(answers.Select(a => a.GetProperty("value").GetInt32()), Is.EqualTo(Enumerable.Range(0, 40)));
    }

    [Test]
    public async Task An_answered_caller_resumes_on_the_reader_thread()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);

        var name = await TestSupport.ThreadAnAnsweredCallerResumesOnAsync(server, client);

        Assert.That(name, Is.EqualTo(ReaderThreadName), "the caller did not resume on the connection's reader thread");
    }

    [Test]
    public async Task Events_arrive_in_order_between_answers()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        using var events = client.SubscribeEvents();

        for (var i = 0; i < 100; i++)
        {
            await server.EmitEventAsync("TICK", new { n = i }).Bounded();
            if (i % 10 == 0)
            {
                await client.ExecuteAsync("query-status").Bounded();
            }
        }

        for (var i = 0; i < 100; i++)
        {
            var e = await events.ReadAsync().Bounded();
            Assert.That(e.Data.GetProperty("n").GetInt32(), Is.EqualTo(i));
        }
    }

    /// <summary>The watchdog on a manual clock (the connection is left out of the process-wide watchdog, and the test
    /// ticks it): a caller's code that returns within a tick keeps reading on its thread; one that holds the thread for a
    /// whole tick hands reading to a new thread, not before; the old thread then parks as the standby, and the next
    /// hand-over wakes it instead of starting a third. The real clock's version is the two tests below (20 rounds each).</summary>
    [Test]
    public async Task The_watchdog_hands_reading_over_after_a_whole_tick_and_not_before_on_a_manual_clock()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = new QmpClient(server.Endpoint, Dedicated);
        var connection = client.Connection;
        connection.ManualReaderTicks = true;
        await client.ConnectAsync().ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        Assert.That(connection.ReaderThreadsStarted, Is.EqualTo(1));

        // 1. The caller's code returns between two ticks: no hand-over.
        var caller = await BlockingCallerAsync(server, client);
        Assert.That(connection.TickReaderWatchdog(), Is.True, "a role given up since the last tick needs watching");
        caller.Release();
        await caller.Returned.Bounded();
        Assert.That(await WhenAsync(() => !connection.ReaderRoleIsFree), Is.True, "the thread did not take its role back");
        connection.TickReaderWatchdog();
        Assert.That(connection.ReaderThreadsStarted, Is.EqualTo(1), "a caller that returned within a tick was handed over");

        // 2. The caller's code holds the thread: one tick is not enough, the second hands reading to a new thread.
        caller = await BlockingCallerAsync(server, client);
        var ping = client.WaitForEventAsync("PING");
        await server.EmitEventAsync("PING").Bounded();
        connection.TickReaderWatchdog();
        Assert.Multiple(() =>
        {
            Assert.That(ping.IsCompleted, Is.False, "an event was read while the only reader thread ran the caller's code");
            Assert.That(connection.ReaderThreadsStarted, Is.EqualTo(1), "handed over after less than a whole tick");
        });
        connection.TickReaderWatchdog();
        await ping.Bounded();
        Assert.That(connection.ReaderThreadsStarted, Is.EqualTo(2));

        // 3. The first thread, back from the caller's code, parks as the standby; the next hand-over wakes it.
        caller.Release();
        await caller.Returned.Bounded();
        Assert.That(await WhenAsync(() => connection.ReaderStandbyParked), Is.True, "the old thread did not park as the standby");
        caller = await BlockingCallerAsync(server, client);
        connection.TickReaderWatchdog();
        connection.TickReaderWatchdog();
        var answer = client.ExecuteAsync("query-status");
        await answer.Bounded();
        caller.Release();
        await caller.Returned.Bounded();
        Assert.That(connection.ReaderThreadsStarted, Is.EqualTo(2), "the hand-over started a thread instead of waking the standby");
    }

    /// <summary>A command whose caller resumes on the reader thread and holds it (until <see cref="HeldCaller.Release"/>).</summary>
    private static async Task<HeldCaller> BlockingCallerAsync(QmpTestServer server, QmpClient client)
    {
        var held = new HeldCaller();
        using (var gate = server.HoldReplies())
        {
            var answer = client.ExecuteAsync("query-status");
            held.Returned = RunAsync(answer, held);
            gate.Open();
        }

        Assert.That(await Task.Run(() => held.Entered.Wait(TestSupport.Bound)), Is.True, "the caller never resumed");
        Assert.That(held.Thread, Is.EqualTo(ReaderThreadName));
        return held;

        static async Task RunAsync(Task<JsonElement> answer, HeldCaller held)
        {
            await answer.ConfigureAwait(false);
            held.Thread = Thread.CurrentThread.Name;
            held.Entered.Set();
            held.Gate.Wait(TestSupport.Bound);
        }
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; false when it never did.</summary>
    private static Task<bool> WhenAsync(Func<bool> condition) => Task.Run(() => SpinWait.SpinUntil(condition, TestSupport.Bound));

    private sealed class HeldCaller
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Gate { get; } = new();

        public string? Thread { get; set; }

        public Task Returned { get; set; } = Task.CompletedTask;

        public void Release() => Gate.Set();
    }

    [Test]
    [Repeat(20)]
    public async Task A_caller_that_blocks_after_its_answer_does_not_stall_events()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        var eventDelivered = false;

        async Task CallerAsync()
        {
            await client.ExecuteAsync("query-status").ConfigureAwait(false);
            var ping = client.WaitForEventAsync("PING");
            var emitted = server.EmitEventAsync("PING");

            // Blocks the reader thread it resumed on until the event is delivered: the watchdog must hand reading over.
            eventDelivered = ping.Wait(OtherThreadBound);
            await emitted.ConfigureAwait(false);
        }

        await Task.Run(CallerAsync).Bounded();

        Assert.That(eventDelivered, Is.True, "reading waited for the caller's code");
    }

    [Test]
    [Repeat(20)]
    public async Task A_caller_that_blocks_after_its_answer_does_not_stall_the_answers_of_other_commands()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        server.Handle("query-name", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        var otherAnswered = false;

        async Task CallerAsync()
        {
            await client.ExecuteAsync("query-status").ConfigureAwait(false);
            var other = client.ExecuteAsync("query-name");
            otherAnswered = ((IAsyncResult)other).AsyncWaitHandle.WaitOne(OtherThreadBound);
        }

        await Task.Run(CallerAsync).Bounded();

        Assert.That(otherAnswered, Is.True, "reading waited for the caller's code");
    }

    [Test]
    [Repeat(20)]
    public async Task A_caller_that_blocks_holds_up_no_other_answer_of_the_same_read()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        using var release = new ManualResetEventSlim();
        var gate = server.HoldReplies();

        var blocked = Task.Run(async () =>
        {
            await client.ExecuteAsync("query-status").ConfigureAwait(false);
            release.Wait(OtherThreadBound);
        });
        var others = Enumerable.Range(0, 4).Select(_ => Task.Run(() => client.ExecuteAsync("query-status"))).ToArray();
        await server.WaitForCommandAsync(_ => server.Commands.Count(x => x.Name == "query-status") >= 5).Bounded();
        gate.Dispose();

        // Every answer arrives (most in one read); none waits for the caller that blocks.
        await Task.WhenAll(others).Bounded();
        release.Set();
        await blocked.Bounded();
    }

    [Test]
    [Repeat(10)]
    public async Task Disposing_while_reading_fails_the_pending_command_and_ends_the_reader()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("query-status");
        var client = await TestSupport.ConnectAsync(server, Dedicated);
        var pending = client.ExecuteAsync("query-status");
        await server.WaitForCommandAsync("query-status").Bounded();

        await client.DisposeAsync().AsTask().Bounded();

        Assert.That(await TestSupport.ErrorOf(pending), Is.InstanceOf<QmpConnectionClosedException>());
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
    }

    [Test]
    [Repeat(10)]
    public async Task A_caller_can_dispose_the_client_from_its_continuation_on_the_reader_thread()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        var client = await TestSupport.ConnectAsync(server, Dedicated);

        async Task CallerAsync()
        {
            await client.ExecuteAsync("query-status").ConfigureAwait(false);
            await client.DisposeAsync().ConfigureAwait(false);
        }

        await Task.Run(CallerAsync).Bounded();

        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
    }

    [Test]
    [Repeat(10)]
    public async Task A_caller_that_disposes_synchronously_on_the_reader_thread_does_not_deadlock()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        var client = await TestSupport.ConnectAsync(server, Dedicated);

        async Task CallerAsync()
        {
            await client.ExecuteAsync("query-status").ConfigureAwait(false);

            // Blocks the thread that was reading until reading has ended: a standby must take reading over.
            Assert.That(client.DisposeAsync().AsTask().Wait(OtherThreadBound), Is.True, "the dispose waited for the blocked reader thread");
        }

        await Task.Run(CallerAsync).Bounded();
    }

    [Test]
    public async Task The_server_closing_ends_the_connection_and_fails_pending_commands()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("query-status");
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        var pending = client.ExecuteAsync("query-status");
        await server.WaitForCommandAsync("query-status").Bounded();

        await server.CloseConnectionAsync().Bounded();

        Assert.That(await TestSupport.ErrorOf(pending), Is.InstanceOf<QmpConnectionClosedException>());
        await client.Completion.Settled();
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
    }

    [Test]
    public async Task The_server_closing_mid_message_ends_the_connection_with_a_read_failure()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("query-status");
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        var pending = client.ExecuteAsync("query-status");
        await server.WaitForCommandAsync("query-status").Bounded();

        await server.CloseMidMessageAsync().Bounded();

        var error = await TestSupport.ErrorOf(client.Completion);
        Assert.That(error, Is.InstanceOf<QmpCommunicationException>());
        Assert.That(((QmpCommunicationException)error!).Error, Is.EqualTo(QmpCommunicationError.ReadFailed));
        Assert.That(await TestSupport.ErrorOf(pending), Is.Not.Null);
    }

    [Test]
    public async Task Cancelling_a_pending_command_ends_its_task_and_the_connection_goes_on()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, Dedicated);
        var gate = server.HoldReplies();
        using var cancel = new CancellationTokenSource();
        var pending = client.ExecuteAsync("query-status", cancellationToken: cancel.Token);
        await server.WaitForCommandAsync("query-status").Bounded();

        await cancel.CancelAsync();
        Assert.That(await TestSupport.ErrorOf(pending), Is.InstanceOf<OperationCanceledException>());
        gate.Dispose();

        await client.ExecuteAsync("query-status").Bounded();
    }

    [Test]
    [Repeat(20)]
    public async Task The_transaction_timeout_on_the_real_clock_fails_the_command_and_the_client_disposes_cleanly()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("query-status");
        var client = await TestSupport.ConnectAsync(server, Dedicated with { TransactionTimeout = TimeSpan.FromMilliseconds(200) });

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("query-status"));
        await client.DisposeAsync().AsTask().Bounded();

        Assert.That(error, Is.InstanceOf<QmpCommunicationException>());
        Assert.That(((QmpCommunicationException)error!).Error, Is.EqualTo(QmpCommunicationError.TransactionTimeout));
    }

    [Test]
    public void An_undefined_io_mode_is_refused()
    {
        var options = new QmpClientOptions { IoMode = (QmpIoMode)7 };

        var error = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => QmpClient.ConnectAsync(QmpEndpoint.Unix("/nonexistent.sock"), options));
        Assert.That(error!.Message, Does.Contain("IoMode"));
    }
}
