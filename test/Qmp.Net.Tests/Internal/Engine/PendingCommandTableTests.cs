using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

public class PendingCommandTableTests
{
    private static PendingCommand<JsonElement> Command(PendingCommandTable table, string name = "x", long id = 0, bool oob = false) =>
        new(table, name, System.Text.Encoding.UTF8.GetBytes($"{{\"execute\":\"{name}\"}}"), id, oob, null);

    [Test]
    public void The_window_limits_in_band_commands_in_flight_and_an_answer_opens_it()
    {
        var table = new PendingCommandTable();
        table.SetWindow(PendingCommandTable.OobReadAheadLimit);
        var commands = Enumerable.Range(0, 10).Select(_ => Command(table)).ToList();
        foreach (var command in commands)
        {
            table.Add(command, out _);
        }

        var batch = new List<PendingCommand>();
        table.TakeBatch(batch);
        var first = batch.Count;
        table.TakeAnswered(null, hasId: false, isReturn: true, sendIds: false, out _, out var writeNeeded);
        table.TakeBatch(batch);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(8));
            Assert.That(writeNeeded, Is.True);
            Assert.That(batch, Has.Count.EqualTo(1));
            Assert.That(table.LiveCount, Is.EqualTo(9));
            Assert.That(table.InFlightCount, Is.EqualTo(8));
        });
    }

    [Test]
    public void Out_of_band_commands_go_first_outside_the_window_and_match_by_id()
    {
        var table = new PendingCommandTable();
        table.SetWindow(1);
        var inBand = Command(table, "a");
        var inBand2 = Command(table, "b");
        var oob = Command(table, "query-yank", id: 7, oob: true);
        table.Add(inBand, out _);
        table.Add(inBand2, out _);
        table.Add(oob, out _);

        var batch = new List<PendingCommand>();
        table.TakeBatch(batch);
        var answered = table.TakeAnswered(7, hasId: true, isReturn: true, sendIds: false, out _, out _);

        Assert.Multiple(() =>
        {
            Assert.That(batch, Is.EqualTo(new PendingCommand[] { oob, inBand }));
            Assert.That(answered, Is.SameAs(oob));
            Assert.That(table.LiveCount, Is.EqualTo(2));
        });
    }

    [Test]
    public void A_response_while_nothing_was_written_is_UnexpectedReceive()
    {
        var table = new PendingCommandTable();

        Assert.That(
            () => table.TakeAnswered(null, hasId: false, isReturn: true, sendIds: false, out _, out _),
            Throws.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedReceive));
    }

    [Test]
    public void A_command_cancelled_in_the_queue_stops_counting_at_once_and_is_never_written()
    {
        var noneLive = 0;
        var table = new PendingCommandTable(() => noneLive++);
        using var cts = new CancellationTokenSource();
        var command = Command(table);
        command.RegisterCancellation(cts.Token);
        table.Add(command, out _);

        cts.Cancel();
        var batch = new List<PendingCommand>();
        var anything = table.TakeBatch(batch);

        Assert.Multiple(() =>
        {
            Assert.That(command.TypedTask.IsCanceled, Is.True);
            Assert.That(table.LiveCount, Is.Zero);
            Assert.That(noneLive, Is.EqualTo(1));
            Assert.That(anything, Is.False);
        });
    }

    [Test]
    public void A_command_cancelled_before_it_is_added_is_not_taken()
    {
        var table = new PendingCommandTable();
        using var cts = new CancellationTokenSource();
        var command = Command(table);
        command.RegisterCancellation(cts.Token);
        cts.Cancel();

        var outcome = table.Add(command, out _);

        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.EqualTo(PendingCommandTable.AddOutcome.Cancelled));
            Assert.That(table.LiveCount, Is.Zero);
        });
    }

    [Test]
    public void FailAll_fails_every_command_wherever_it_is_and_closes_the_table()
    {
        var table = new PendingCommandTable();
        table.SetWindow(1);
        var written = Command(table);
        var queued = Command(table);
        var oob = Command(table, id: 3, oob: true);
        table.Add(written, out _);
        table.Add(queued, out _);
        table.TakeBatch([]);
        table.Add(oob, out _);
        var error = new QmpConnectionClosedException("closed");

        var failed = table.FailAll(error);
        var late = table.Add(Command(table), out _);

        Assert.Multiple(() =>
        {
            Assert.That(failed, Is.EqualTo(3));
            Assert.That(new Task[] { written.TypedTask, queued.TypedTask, oob.TypedTask }.Select(t => t.Exception?.InnerException), Has.All.SameAs(error));
            Assert.That(table.LiveCount, Is.Zero);
            Assert.That(late, Is.EqualTo(PendingCommandTable.AddOutcome.Closed));
        });
    }

    [Test]
    public void The_table_starts_the_timer_when_an_answer_is_expected_and_stops_it_when_none_is()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var timer = new TransactionTimer(time, TimeSpan.FromSeconds(1), () => { });
        var table = new PendingCommandTable(null, timer);
        table.Add(Command(table), out _);

        var beforeWrite = timer.IsRunning;
        table.TakeBatch([]);
        var afterWrite = timer.IsRunning;
        table.TakeAnswered(null, hasId: false, isReturn: true, sendIds: false, out _, out _);

        Assert.Multiple(() =>
        {
            Assert.That(beforeWrite, Is.False);
            Assert.That(afterWrite, Is.True);
            Assert.That(timer.IsRunning, Is.False);
        });
    }
}
