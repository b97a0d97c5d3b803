using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

/// <summary>The rules that keep passed descriptors with their own command and open while anyone may still send them.</summary>
public sealed class DescriptorPassingRulesTests
{
    [Test]
    public void A_command_with_descriptors_is_taken_alone_between_the_commands_around_it()
    {
        var table = new PendingCommandTable();
        using var file = File.OpenHandle("/dev/null");
        var lease = DescriptorLease.Acquire([file], "fds");
        var commands = new[] { Command(table, "a"), Command(table, "b"), Command(table, "getfd", lease), Command(table, "c"), Command(table, "d") };
        foreach (var command in commands)
        {
            table.Add(command, out _);
        }

        var batches = new List<string[]>();
        var batch = new List<PendingCommand>();
        while (table.TakeBatch(batch))
        {
            batches.Add(batch.Select(c => c.Command).ToArray());
        }

        Assert.That(batches, Is.EqualTo(new[] { new[] { "a", "b" }, new[] { "getfd" }, new[] { "c", "d" } }));
        lease.Release();
    }

    [Test]
    public void Two_commands_with_descriptors_in_a_row_go_one_per_send()
    {
        var table = new PendingCommandTable();
        using var file = File.OpenHandle("/dev/null");
        var first = DescriptorLease.Acquire([file], "fds");
        var second = DescriptorLease.Acquire([file], "fds");
        table.Add(Command(table, "getfd", first), out _);
        table.Add(Command(table, "add-fd", second), out _);

        var batch = new List<PendingCommand>();
        table.TakeBatch(batch);
        var firstBatch = batch.Select(c => c.Command).ToArray();
        table.TakeBatch(batch);

        Assert.That(firstBatch, Is.EqualTo(new[] { "getfd" }));
        Assert.That(batch.Select(c => c.Command), Is.EqualTo(new[] { "add-fd" }));
        first.Release();
        second.Release();
    }

    [Test]
    public void A_caller_that_disposes_its_handle_early_closes_nothing_until_the_last_holder_releases()
    {
        var file = File.OpenHandle("/dev/null");
        var lease = DescriptorLease.Acquire([file], "fds");
        Assert.That(lease.TryAcquire(), Is.True, "the writer becomes a second holder");

        file.Dispose();
        lease.Release();
        Assert.That(file.IsClosed, Is.False, "the writer still holds it");
        Assert.That(RandomAccess.GetLength(file), Is.Zero, "and the descriptor still works");

        lease.Release();
        Assert.That(file.IsClosed, Is.True, "the caller's dispose takes effect with the last release");
        Assert.That(lease.TryAcquire(), Is.False, "a released lease cannot be held again");
    }

    [Test]
    public void A_handle_the_caller_keeps_stays_open_after_the_lease_ends()
    {
        using var file = File.OpenHandle("/dev/null");
        var lease = DescriptorLease.Acquire([file], "fds");

        lease.Release();
        lease.Release();

        Assert.That(file.IsClosed, Is.False);
        Assert.That(lease.IsReleased, Is.True);
    }

    [Test]
    public void Bad_handles_are_argument_errors_and_take_no_reference()
    {
        using var open = File.OpenHandle("/dev/null");
        var closed = File.OpenHandle("/dev/null");
        closed.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(() => DescriptorLease.Acquire([], "fds"), Throws.ArgumentException);
            Assert.That(() => DescriptorLease.Acquire(Enumerable.Repeat<System.Runtime.InteropServices.SafeHandle>(open, 17).ToList(), "fds"), Throws.ArgumentException);
            Assert.That(() => DescriptorLease.Acquire([open, closed], "fds"), Throws.ArgumentException.With.Message.Contains("1"));
            Assert.That(() => DescriptorLease.Acquire([new SafeFileHandle(-1, false)], "fds"), Throws.ArgumentException);
        });

        // The failed Acquire gave back the reference it took on the first handle: disposing closes it at once.
        open.Dispose();
        Assert.That(open.IsClosed, Is.True);
    }

    private static PendingCommand<JsonElement> Command(PendingCommandTable table, string name, DescriptorLease? lease = null) =>
        new(table, name, System.Text.Encoding.UTF8.GetBytes($"{{\"execute\":\"{name}\"}}"), 0, false, null) { Descriptors = lease };
}
