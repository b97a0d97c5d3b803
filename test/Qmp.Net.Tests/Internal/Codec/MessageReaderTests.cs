using System.Text;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

public class MessageReaderTests
{
    private const string Reply = "{\"return\": {\"status\": \"running\", \"text\": \"a}b{\\\"c\"}}\r\n";

    [Test]
    public void A_message_split_at_every_byte_position_is_read_whole()
    {
        var bytes = Encoding.UTF8.GetBytes(Reply);
        for (var split = 1; split < bytes.Length; split++)
        {
            using var reader = new MessageReader(1 << 20);
            var messages = new List<string>();
            Feed(reader, bytes.AsSpan(0, split), messages);
            Assert.That(messages, Has.Count.EqualTo(split < Reply.TrimEnd().Length ? 0 : 1), $"after {split} bytes");
            Feed(reader, bytes.AsSpan(split), messages);
            Assert.That(messages, Is.EqualTo(new[] { Reply.TrimEnd() }), $"split at {split}");
            Assert.That(reader.HasPartialMessage, Is.False);
        }
    }

    [Test]
    public void A_message_fed_byte_by_byte_is_read_once_complete()
    {
        var bytes = Encoding.UTF8.GetBytes(Reply + Reply);
        using var reader = new MessageReader(1 << 20);
        var messages = new List<string>();
        foreach (var b in bytes)
        {
            Feed(reader, [b], messages);
        }

        Assert.That(messages, Is.EqualTo(new[] { Reply.TrimEnd(), Reply.TrimEnd() }));
    }

    [Test]
    public void Many_messages_in_one_read_are_all_returned_in_order()
    {
        var text = string.Concat(Enumerable.Range(0, 50).Select(i => $"{{\"return\":{i}}}"));
        using var reader = new MessageReader(1 << 20);
        var messages = new List<string>();
        Feed(reader, Encoding.UTF8.GetBytes(text), messages);

        Assert.That(messages, Is.EqualTo(Enumerable.Range(0, 50).Select(i => $"{{\"return\":{i}}}")));
    }

    [Test]
    public void Whitespace_and_CRLF_between_messages_are_skipped()
    {
        using var reader = new MessageReader(1 << 20);
        var messages = new List<string>();
        Feed(reader, "\r\n \t{\"a\":1}\r\n\r\n\n  {\"b\":2}  \r\n"u8, messages);

        Assert.Multiple(() =>
        {
            Assert.That(messages, Is.EqualTo(new[] { "{\"a\":1}", "{\"b\":2}" }));
            Assert.That(reader.HasPartialMessage, Is.False);
        });
    }

    [Test]
    public void A_pretty_printed_message_spanning_many_lines_is_one_message()
    {
        const string pretty = "{\n    \"return\": {\n        \"status\": \"running\"\n    }\n}\n";
        using var reader = new MessageReader(1 << 20);
        var messages = new List<string>();
        Feed(reader, Encoding.UTF8.GetBytes(pretty + pretty), messages);

        Assert.That(messages, Is.EqualTo(new[] { pretty.TrimEnd(), pretty.TrimEnd() }));
    }

    [TestCase("[1]")]
    [TestCase("42")]
    [TestCase("\"text\"")]
    [TestCase("{\"return\": ]")]
    [TestCase("{\"return\" {}}")]
    public void Input_that_is_not_a_JSON_object_is_an_UnexpectedResponse(string text)
    {
        using var reader = new MessageReader(1 << 20);

        Assert.That(
            () => Feed(reader, Encoding.UTF8.GetBytes(text + "\r\n"), []),
            Throws.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    [Test]
    public void Invalid_UTF8_is_an_UnexpectedResponse()
    {
        using var reader = new MessageReader(1 << 20);
        byte[] bytes = [.. "{\"return\": \""u8, 0xC3, 0x28, .. "\"}"u8];

        Assert.That(
            () => Feed(reader, bytes, []),
            Throws.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    // Found by the framing and engine fuzz targets: System.Text.Json's readers accept an escaped lone surrogate, and
    // GetString then throws InvalidOperationException — from the read loop, for an event name, an error's class, a
    // greeting's version. QEMU never sends one (it writes U+FFFD for bad text and pairs outside the BMP), so it is a
    // protocol violation like invalid UTF-8.
    [TestCase("{\"event\": \"\\udc00\"}", TestName = "A lone low surrogate")]
    [TestCase("{\"error\": {\"class\": \"\\ud800\", \"desc\": \"\"}}", TestName = "A lone high surrogate")]
    [TestCase("{\"return\": \"\\uD83D\\u0041\"}", TestName = "A high surrogate before a non-surrogate escape")]
    [TestCase("{\"return\": \"\\ud83dx\"}", TestName = "A high surrogate at the end of the escapes")]
    [TestCase("{\"\\udfff\": 1, \"return\": {}}", TestName = "A lone surrogate in a member name")]
    public void An_escaped_lone_surrogate_is_an_UnexpectedResponse(string text)
    {
        using var reader = new MessageReader(1 << 20);

        Assert.That(
            () => Feed(reader, Encoding.UTF8.GetBytes(text), []),
            Throws.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
    }

    [TestCase("{\"return\": \"\\ud83d\\ude00\"}", TestName = "A surrogate pair")]
    [TestCase("{\"return\": \"\\\\udc00\"}", TestName = "An escaped backslash before u")]
    [TestCase("{\"return\": \"\\\\\\ud83d\\uDE00\\n\\\"\"}", TestName = "A pair after an escaped backslash")]
    public void Escapes_that_are_Unicode_text_are_accepted(string text)
    {
        using var reader = new MessageReader(1 << 20);
        var messages = new List<string>();

        Feed(reader, Encoding.UTF8.GetBytes(text), messages);

        Assert.That(messages, Is.EqualTo(new[] { text }));
    }

    [Test]
    public void A_message_over_the_limit_is_an_UnexpectedResponse_before_its_end_arrives()
    {
        using var reader = new MessageReader(1024);
        var start = Encoding.UTF8.GetBytes("{\"return\": \"" + new string('x', 5000));

        Assert.That(
            () => Feed(reader, start, []),
            Throws.TypeOf<QmpCommunicationException>().With.Message.Contains("MaxMessageBytes"));
        Assert.That(reader.BufferCapacity, Is.LessThan(8 * 1024), "the buffer stays bounded by the limit");
    }

    [Test]
    public void A_message_exactly_at_the_limit_is_accepted()
    {
        const int limit = 2048;
        var prefix = "{\"return\":\"";
        var text = prefix + new string('x', limit - prefix.Length - 2) + "\"}";
        using var reader = new MessageReader(limit);
        var messages = new List<string>();
        Feed(reader, Encoding.UTF8.GetBytes(text), messages);

        Assert.That(messages.Single(), Has.Length.EqualTo(limit));
    }

    [Test]
    public void A_partial_message_is_reported_as_partial()
    {
        using var reader = new MessageReader(1 << 20);
        Feed(reader, "{\"return\": {"u8, []);

        Assert.That(reader.HasPartialMessage, Is.True);
    }

    private static void Feed(MessageReader reader, ReadOnlySpan<byte> bytes, List<string> messages)
    {
        while (!bytes.IsEmpty)
        {
            var buffer = reader.GetReceiveBuffer();
            var n = Math.Min(buffer.Length, bytes.Length);
            bytes[..n].CopyTo(buffer.Span);
            bytes = bytes[n..];
            reader.Advance(n);
            while (reader.TryReadMessage(out var message))
            {
                messages.Add(Encoding.UTF8.GetString(message.Span));
            }
        }
    }
}
