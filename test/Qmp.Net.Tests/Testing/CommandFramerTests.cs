using System.Text;
using Qmp.Net.Testing;

namespace Qmp.Net.Tests.Testing;

/// <summary>The test server's own framer: values found however the input is split, scanned once, capped.</summary>
public class CommandFramerTests
{
    [Test]
    public void Back_to_back_values_are_framed_one_by_one_and_whitespace_between_them_is_skipped()
    {
        var framer = new CommandFramer(1024);

        Feed(framer, " {\"execute\":\"a\"}\r\n\t{\"execute\":\"b\",\"arguments\":{\"s\":\"}{\\\"\"}} [1] 7 ");

        Assert.That(ReadAll(framer), Is.EqualTo(new[]
        {
            "Message {\"execute\":\"a\"}",
            "Message {\"execute\":\"b\",\"arguments\":{\"s\":\"}{\\\"\"}}",
            "Message [1]",
            "Message 7",
        }));
    }

    [Test]
    public void A_value_split_byte_by_byte_is_framed_once_complete()
    {
        var framer = new CommandFramer(1024);
        var command = "{\"execute\":\"query-status\",\"arguments\":{\"deep\":[{\"x\":\"a b\"},true,null,-1.5e3]}}";
        var frames = new List<string>();

        foreach (var b in Encoding.UTF8.GetBytes(command + "{}"))
        {
            Feed(framer, [b]);
            frames.AddRange(ReadAll(framer));
        }

        Assert.That(frames, Is.EqualTo(new[] { "Message " + command, "Message {}" }));
    }

    [Test]
    public void A_long_value_arriving_in_pieces_is_scanned_about_once_not_from_its_start_on_every_receive()
    {
        var framer = new CommandFramer(16 * 1024 * 1024);
        var items = string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"item-{i}\""));
        var command = Encoding.UTF8.GetBytes($"{{\"execute\":\"x\",\"arguments\":{{\"list\":[{items}]}}}}");

        var frames = new List<string>();
        for (var offset = 0; offset < command.Length; offset += 1000)
        {
            Feed(framer, command.AsSpan(offset, Math.Min(1000, command.Length - offset)));
            frames.AddRange(ReadAll(framer));
        }

        // About 240 KB in about 240 pieces: rescanning from the start each time would hand the reader some 29 MB.
        Assert.That(frames, Has.Count.EqualTo(1));
        Assert.That(frames[0], Is.EqualTo("Message " + Encoding.UTF8.GetString(command)));
        Assert.That(framer.BytesExamined, Is.LessThan(command.Length * 2));
    }

    [Test]
    public void Input_that_is_not_JSON_is_given_up_and_framing_goes_on_with_later_input()
    {
        var framer = new CommandFramer(1024);

        Feed(framer, "{\"execute\" 1}");
        var bad = ReadAll(framer);
        Feed(framer, "{\"execute\":\"after\"}");
        var good = ReadAll(framer);

        Assert.That(bad, Is.EqualTo(new[] { "Invalid {\"execute\" 1}" }));
        Assert.That(good, Is.EqualTo(new[] { "Message {\"execute\":\"after\"}" }));
    }

    [Test]
    public void A_value_longer_than_the_limit_is_reported_and_the_buffer_stays_near_the_limit()
    {
        const int limit = 64 * 1024;
        var framer = new CommandFramer(limit);
        var frames = new List<string>();
        Feed(framer, "{\"execute\":\"x\",\"arguments\":{\"blob\":\"");
        for (var i = 0; i < 100 && frames.Count == 0; i++)
        {
            Feed(framer, new string('a', 4000));
            frames.AddRange(ReadAll(framer).Select(f => f.Split(' ')[0]));
        }

        Assert.That(frames, Is.EqualTo(new[] { "TooLong" }));
        Assert.That(framer.BufferCapacity, Is.LessThanOrEqualTo((limit * 2) + 8192));
    }

    [Test]
    public void A_value_of_exactly_the_limit_is_framed()
    {
        var command = "{\"execute\":\"x\",\"arguments\":{\"s\":\"" + new string('b', 5000) + "\"}}";
        var framer = new CommandFramer(command.Length);

        Feed(framer, command[..2500]);
        var first = ReadAll(framer);
        Feed(framer, command[2500..]);

        Assert.That(first, Is.Empty);
        Assert.That(ReadAll(framer), Is.EqualTo(new[] { "Message " + command }));
    }

    private static void Feed(CommandFramer framer, string text) => Feed(framer, Encoding.UTF8.GetBytes(text));

    private static void Feed(CommandFramer framer, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var memory = framer.GetReceiveBuffer();
            var n = Math.Min(memory.Length, bytes.Length);
            bytes[..n].CopyTo(memory.Span);
            framer.Advance(n);
            bytes = bytes[n..];
        }
    }

    private static List<string> ReadAll(CommandFramer framer)
    {
        var frames = new List<string>();
        FrameKind kind;
        while ((kind = framer.TryRead(out var message)) != FrameKind.NeedMore)
        {
            frames.Add($"{kind} {Encoding.UTF8.GetString(message)}");
        }

        return frames;
    }
}
