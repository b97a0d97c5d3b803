using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Retry;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>Real faults against a real QEMU: killed, frozen, not started yet, driven hard, driven many at once. Each test
/// is bounded and checks every task it was handed.</summary>
[CancelAfter(120_000)]
public sealed class FaultInjectionTests
{
    [Test]
    public async Task A_QEMU_killed_with_pending_commands_ends_every_task_and_the_event_stream(CancellationToken cancellationToken)
    {
        var unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, _) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            await using var qemu = await QemuFixture.StartAsync();
            var client = qemu.Client;
            var reader = Task.Run(async () =>
            {
                var count = 0;
                await foreach (var _ in client.Events)
                {
                    count++;
                }

                return count;
            }, cancellationToken);

            // Frozen, QEMU reads nothing, so all 100 commands are still pending when it dies.
            await Signal(qemu.ProcessId, "STOP");
            var pending = Enumerable.Range(0, 100).Select(_ => client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).ToArray();
            Process.GetProcessById(qemu.ProcessId).Kill();

            foreach (var task in pending)
            {
                var error = Assert.CatchAsync<QmpException>(async () => await task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken));
                Assert.That(error, Is.InstanceOf<QmpConnectionClosedException>()
                    .Or.InstanceOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.ReadFailed));
            }

            await AssertEndsAsync(client.Completion);
            // The enumeration must end by itself once the connection is gone (WaitAsync throws if it does not).
            await reader.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            Assert.That(reader.IsCompletedSuccessfully, Is.True);
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.That(unobserved, Is.Zero, "no task exception may go unobserved");
    }

    [Test]
    public async Task A_frozen_QEMU_times_out_pending_commands_but_not_an_idle_connection(CancellationToken cancellationToken)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = QmpClientOptions.Default with { TimeProvider = time, TransactionTimeout = TimeSpan.FromSeconds(30) };
        await using var qemu = await QemuFixture.StartAsync(options, null);
        var client = qemu.Client;

        // Nothing pending: a frozen QEMU is just quiet, whatever the time.
        await Signal(qemu.ProcessId, "STOP");
        time.Advance(TimeSpan.FromHours(1));
        await Signal(qemu.ProcessId, "CONT");
        var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        Assert.That(client.Completion.IsCompleted, Is.False);

        // Commands pending: the transaction timeout ends them all.
        await Signal(qemu.ProcessId, "STOP");
        var pending = Enumerable.Range(0, 20).Select(_ => client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).ToArray();

        // ExecuteAsync writes inline, so the commands are on the wire and the timer runs before the calls return.
        Assert.That(client.State, Is.EqualTo(QmpState.Busy));
        time.Advance(TimeSpan.FromSeconds(31));

        foreach (var task in pending)
        {
            Assert.That(async () => await task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken),
                Throws.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout));
        }

        Assert.That(async () => await client.Completion.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken),
            Throws.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout));
        await Signal(qemu.ProcessId, "CONT");
    }

    [Test]
    public async Task ConnectRetry_connects_once_a_QEMU_started_after_the_first_attempt_comes_up(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var directory = QemuFixture.CreatePrivateDirectory();
        var socket = Path.Combine(directory, "qmp.sock");
        var firstAttemptFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 200,
            Delay = TimeSpan.FromMilliseconds(50),
            BackoffType = DelayBackoffType.Constant,
            ShouldHandle = new PredicateBuilder().Handle<QmpConnectionException>(QmpConnectRetry.IsServerNotUpYet),
            OnRetry = _ =>
            {
                firstAttemptFailed.TrySetResult();
                return default;
            },
        }).Build();
        Process? qemu = null;
        try
        {
            var connect = QmpClient.ConnectAsync(QmpEndpoint.Unix(socket), QmpClientOptions.Default with { ConnectRetry = retry }, cancellationToken);
            await firstAttemptFailed.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            Assert.That(connect.IsCompleted, Is.False);

            qemu = Process.Start(QemuFixture.Path!, [.. QemuFixture.MonitorOnly, "-qmp", $"unix:{socket},server=on,wait=off"]);
            await using var client = await connect.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        }
        finally
        {
            qemu?.Kill();
            qemu?.WaitForExit();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Without_ConnectRetry_a_QEMU_not_started_yet_fails_at_once_with_QmpConnectionException()
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        try
        {
            var error = Assert.ThrowsAsync<QmpConnectionException>(
                async () => await QmpClient.ConnectAsync(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock"))).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.That(QmpConnectRetry.IsServerNotUpYet(error!), Is.True);
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    [Test]
    public async Task Stop_and_cont_cycles_lose_no_event_and_every_answer_is_in_order(CancellationToken cancellationToken)
    {
        const int cycles = 10_000;
        await using var qemu = await QemuFixture.StartAsync();
        var client = qemu.Client;
        var resumes = 0;
        var stops = 0;
        using var events = client.SubscribeEvents(e => e.Name is "RESUME" or "STOP");
        var counter = Task.Run(async () =>
        {
            await foreach (var e in events.WithCancellation(cancellationToken))
            {
                if (e.Name == "RESUME")
                {
                    resumes++;
                }
                else
                {
                    stops++;
                }

                if (stops == cycles)
                {
                    return;
                }
            }
        }, cancellationToken);

        for (var i = 0; i < cycles; i++)
        {
            // Each answer must be the empty object of its own command, in order; a status check interleaves to prove it.
            Assert.That((await client.ExecuteAsync("cont", cancellationToken: cancellationToken)).EnumerateObject().Any(), Is.False);
            Assert.That((await client.ExecuteAsync("stop", cancellationToken: cancellationToken)).EnumerateObject().Any(), Is.False);
            if (i % 100 == 0)
            {
                var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
                Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("paused"));
            }
        }

        await counter.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        Assert.That((resumes, stops), Is.EqualTo((cycles, cycles)));
        Assert.That(events.DroppedCount, Is.Zero);
        TestContext.Out.WriteLine($"{cycles} cycles, {resumes} RESUME, {stops} STOP");
    }

    [Test]
    public async Task Fifty_QEMUs_driven_at_once_all_complete_and_the_thread_count_stays_flat(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var count = 50;
        var processes = new List<QemuProcess>();
        try
        {
            var threadsBefore = Process.GetCurrentProcess().Threads.Count;

            // Started ten at a time: fifty QEMUs starting at once on two shared cores can take longer than a start timeout.
            for (var batch = 0; batch < count; batch += 10)
            {
                processes.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => QemuFixture.StartAsync())));
            }

            var work = processes.Select(async qemu =>
            {
                var client = qemu.Client;
                var resumed = client.WaitForEventAsync("RESUME", cancellationToken: cancellationToken);
                await client.ExecuteAsync("cont", cancellationToken: cancellationToken);
                await resumed;
                var stopped = client.WaitForEventAsync("STOP", cancellationToken: cancellationToken);
                var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.ExecuteAsync("query-status", cancellationToken: cancellationToken)));
                await client.ExecuteAsync("stop", cancellationToken: cancellationToken);
                await stopped;
                return statuses.All(s => s.GetProperty("status").GetString() == "running");
            }).ToArray();
            var results = await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var threadsAfter = Process.GetCurrentProcess().Threads.Count;

            Assert.That(results, Is.All.True);
            TestContext.Out.WriteLine($"threads: {threadsBefore} before any QEMU started, {threadsAfter} with {count} clients connected and driven");
            Assert.That(threadsAfter - threadsBefore, Is.LessThan(count / 2), "no thread per connection");
        }
        finally
        {
            await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
        }
    }

    private static async Task AssertEndsAsync(Task completion)
    {
        try
        {
            await completion.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (QmpException)
        {
            // Ended with the error that broke the connection: also an end.
        }

        Assert.That(completion.IsCompleted, Is.True);
    }

    private static async Task Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.That(kill.ExitCode, Is.Zero, $"kill -{signal} {pid}");
    }
}
