using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Internal;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Internal;

public class TransactionTimerTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    [Test]
    public void It_fires_once_when_the_period_passes_on_a_fake_clock()
    {
        var time = new FakeTimeProvider();
        var fired = 0;
        using var timer = new TransactionTimer(time, Period, () => fired++);

        timer.Start();
        time.Advance(Period - TimeSpan.FromMilliseconds(1));
        var before = fired;
        time.Advance(TimeSpan.FromMilliseconds(1));
        time.Advance(Period * 3);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Zero);
            Assert.That(fired, Is.EqualTo(1));
            Assert.That(timer.IsRunning, Is.False);
        });
    }

    [Test]
    public void A_restart_moves_the_due_time_and_a_second_start_does_not()
    {
        var time = new FakeTimeProvider();
        var fired = 0;
        using var timer = new TransactionTimer(time, Period, () => fired++);

        timer.Start();
        time.Advance(TimeSpan.FromSeconds(20));
        timer.Start();
        timer.Restart();
        time.Advance(TimeSpan.FromSeconds(29));
        var afterRestart = fired;
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(afterRestart, Is.Zero);
            Assert.That(fired, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_restart_or_stop_of_a_stopped_timer_does_nothing()
    {
        var time = new FakeTimeProvider();
        var fired = 0;
        using var timer = new TransactionTimer(time, Period, () => fired++);

        timer.Restart();
        timer.Stop();
        time.Advance(Period * 2);
        timer.Start();
        timer.Stop();
        time.Advance(Period * 2);

        Assert.That(fired, Is.Zero);
    }

    [Test]
    public void An_infinite_period_never_runs()
    {
        var time = new FakeTimeProvider();
        var fired = 0;
        using var timer = new TransactionTimer(time, Timeout.InfiniteTimeSpan, () => fired++);

        timer.Start();
        time.Advance(TimeSpan.FromDays(100));

        Assert.Multiple(() =>
        {
            Assert.That(timer.IsRunning, Is.False);
            Assert.That(fired, Is.Zero);
        });
    }

    [Test]
    public void A_timer_that_wakes_up_early_arms_itself_for_the_remainder()
    {
        // A clock whose timers fire 5 ms before their due time, as System.Threading timers may.
        var time = new EarlyTimeProvider(TimeSpan.FromMilliseconds(5));
        var fired = 0;
        using var timer = new TransactionTimer(time, TimeSpan.FromMilliseconds(100), () => fired++);

        timer.Start();
        time.Advance(TimeSpan.FromMilliseconds(95));
        var early = fired;
        time.Advance(TimeSpan.FromMilliseconds(5));

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.Zero, "not before the period");
            Assert.That(fired, Is.EqualTo(1), "not lost either");
        });
    }

    [Test]
    public async Task On_the_real_clock_it_fires_after_the_period_in_each_of_50_concurrent_rounds()
    {
        var rounds = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => RealRoundAsync(restarts: 0)));

        Assert.Multiple(() =>
        {
            Assert.That(rounds.Min(), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100)), "never early");
            Assert.That(rounds.Max(), Is.LessThan(TestSupport.Bound), "never lost");
        });
    }

    [Test]
    public async Task On_the_real_clock_restarts_push_it_back_in_each_of_50_concurrent_rounds()
    {
        var rounds = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => RealRoundAsync(restarts: 3)));

        Assert.Multiple(() =>
        {
            Assert.That(rounds.Min(), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100)), "never early");
            Assert.That(rounds.Max(), Is.LessThan(TestSupport.Bound), "never lost");
        });
    }

    /// <summary>Starts a 100 ms timer, restarts it every 30 ms a few times, and returns how long after the last restart it fired.</summary>
    private static async Task<TimeSpan> RealRoundAsync(int restarts)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = new TransactionTimer(TimeProvider.System, TimeSpan.FromMilliseconds(100), () => fired.TrySetResult());
        var clock = Stopwatch.StartNew();
        timer.Start();
        for (var i = 0; i < restarts; i++)
        {
            await Task.Delay(30);
            clock.Restart();
            timer.Restart();
        }

        await fired.Task.WaitAsync(TestSupport.Bound);
        return clock.Elapsed;
    }

    /// <summary>A fake clock whose timers fire a fixed amount before they are due.</summary>
    private sealed class EarlyTimeProvider(TimeSpan early) : FakeTimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new EarlyTimer(base.CreateTimer(callback, state, Shift(dueTime), period), early);

        private TimeSpan Shift(TimeSpan due) => due == Timeout.InfiniteTimeSpan ? due : due - early;

        private sealed class EarlyTimer(ITimer inner, TimeSpan early) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) =>
                inner.Change(dueTime == Timeout.InfiniteTimeSpan || dueTime <= early ? dueTime : dueTime - early, period);

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
