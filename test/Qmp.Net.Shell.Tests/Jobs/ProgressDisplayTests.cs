using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Shell.Editing;
using Qmp.Net.Shell.Jobs;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Tests.Jobs;

public class ProgressDisplayTests
{
    /// <summary>A job that moves one step per poll and settles at the last step.</summary>
    private sealed class SteppingSource(int steps) : IProgressSource
    {
        public int Polls { get; private set; }

        public Task Changed { get; } = new TaskCompletionSource().Task;

        public Task<ProgressSnapshot> PollAsync(CancellationToken cancellationToken)
        {
            var step = Math.Min(Polls++, steps);
            return Task.FromResult(new ProgressSnapshot("m0", "mirror", step == steps ? "ready" : "running", step, steps, step == steps, null));
        }
    }

    [Test]
    public void A_bar_line_shows_label_status_bar_percentage_and_amounts_within_the_width()
    {
        var half = new ProgressSnapshot("m0", "mirror", "running", 16 * 1024 * 1024, 32 * 1024 * 1024, false, null);
        var line = ProgressDisplay.Line(half, 100, Palette.Plain);
        Assert.That(line, Does.StartWith("m0               mirror   running    [").And.EndWith("]  50%  16.0/32.0 MiB"));
        var bar = line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)];
        Assert.That(bar.Count(c => c == '#'), Is.EqualTo(bar.Count(c => c == '.')), bar);
        Assert.That(line.Length, Is.LessThan(100));
        Assert.That(ProgressDisplay.Line(half with { Current = half.Total, Status = "ready", Finished = true }, 100, Palette.Plain), Does.Contain("100%"));
    }

    [Test]
    public async Task Polls_follow_the_fake_clock_until_the_job_settles()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var source = new SteppingSource(3);
        var display = new ProgressDisplay(new Terminal(output, () => 100), Palette.Plain, keys: null, time);
        var run = display.RunAsync([source], CancellationToken.None);
        Assert.That(source.Polls, Is.EqualTo(1), "the first look is at once");
        for (var expected = 2; expected <= 4; expected++)
        {
            Assert.That(run.IsCompleted, Is.False);
            await AdvanceUntil(time, () => source.Polls >= expected);
            Assert.That(source.Polls, Is.EqualTo(expected), "one interval, one poll");
        }

        var final = await run;
        Assert.That(final[0].Status, Is.EqualTo("ready"));
        Assert.That(output.ToString(), Does.Contain(" 33%").And.Contain(" 66%").And.Contain("100%"));
    }

    [Test]
    [Repeat(50)]
    public async Task Polls_follow_the_real_clock_until_the_job_settles()
    {
        var source = new SteppingSource(2);
        var display = new ProgressDisplay(new Terminal(new StringWriter(), () => 100), Palette.Plain, keys: null);
        var final = await display.RunAsync([source], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(final[0].Finished, Is.True);
        Assert.That(source.Polls, Is.EqualTo(3));
    }

    [Test]
    public async Task A_key_press_ends_the_display_and_stays_queued_for_the_next_line()
    {
        var keys = System.Threading.Channels.Channel.CreateUnbounded<ConsoleKeyInfo>();
        var output = new StringWriter();
        var display = new ProgressDisplay(new Terminal(output, () => 100), Palette.Plain, keys.Reader, new FakeTimeProvider());
        var run = display.RunAsync([new SteppingSource(100)], CancellationToken.None);
        Assert.That(run.IsCompleted, Is.False);
        keys.Writer.TryWrite(new ConsoleKeyInfo('q', ConsoleKey.Q, false, false, false));
        var final = await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(final[0].Finished, Is.False);
        Assert.That(keys.Reader.TryRead(out var key) && key.KeyChar == 'q', Is.True);
        Assert.That(output.ToString(), Does.Contain("still going on"));
    }

    /// <summary>Moves the fake clock on by one poll interval at a time until the display has polled. The display sets its
    /// next timer only after a poll, on another thread; an interval advanced before that timer exists fires nothing,
    /// so the clock is moved again until it does (never by more than one interval per poll).</summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the display did not poll");
            time.Advance(ProgressDisplay.PollInterval);
            for (var spin = 0; spin < 20 && !condition(); spin++)
            {
                await Task.Delay(1);
            }
        }
    }
}
