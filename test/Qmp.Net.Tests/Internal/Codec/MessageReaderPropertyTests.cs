using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

/// <summary>Properties of the framing layer, checked on generated streams: however a valid stream is cut, the same
/// messages come out; however a valid stream is corrupted, the reader answers with messages or a QmpCommunicationException,
/// never another exception and never a loop.</summary>
[TestFixture]
public class MessageReaderPropertyTests
{
    private static readonly string[] s_templates =
    [
        """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2"}, "capabilities": ["oob"]}}""",
        """{"return": {}}""",
        """{"return": {"status": "prelaunch", "singlestep": false, "running": false}}""",
        """{"timestamp": {"seconds": 1795615295, "microseconds": 610867}, "event": "RESUME"}""",
        """{"error": {"class": "GenericError", "desc": "Parameter 'x' is unexpected"}, "id": 3}""",
        """{"return": [{"type": "chardev", "id": "compat_monitor0"}], "id": "a\"}{b"}""",
        """{"return": {"s": "\u00e9\u4e2d\ud83d\ude00 } { \\ \" \/"}}""",
        """{"return": [[[[[[[[[[{"deep": [1, -2.5e10, true, null]}]]]]]]]]]]}""",
    ];

    private static readonly string[] s_separators = ["", "\r\n", "\n", " ", "\t\r\n  ", "\r\n\r\n"];

    [Test]
    public void Any_valid_stream_cut_into_any_chunks_yields_the_same_messages()
    {
        var property = Prop.ForAll(StreamArbitrary(), CutsArbitrary(), (stream, cuts) =>
        {
            var (bytes, expected) = stream;
            var actual = Feed(bytes, cuts, out var error);
            return error is null && actual.SequenceEqual(expected);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Test]
    public void Any_corruption_of_a_valid_stream_ends_in_messages_or_a_communication_exception()
    {
        var corruption = Gen.Zip(ArbMap.Default.GeneratorFor<int>(), ArbMap.Default.GeneratorFor<byte>()).ToArbitrary();
        var property = Prop.ForAll(StreamArbitrary(), CutsArbitrary(), corruption, (stream, cuts, damage) =>
        {
            var bytes = (byte[])stream.Bytes.Clone();
            bytes[(int)((uint)damage.Item1 % bytes.Length)] = damage.Item2;
            Feed(bytes, cuts, out var error);
            return error is null or QmpCommunicationException;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    private static List<string> Feed(byte[] bytes, int[] cuts, out Exception? error)
    {
        var messages = new List<string>();
        error = null;
        using var reader = new MessageReader(1024 * 1024);
        try
        {
            var offset = 0;
            var cut = 0;
            while (offset < bytes.Length)
            {
                var free = reader.GetReceiveBuffer();
                var size = Math.Min(Math.Min(cuts[cut++ % cuts.Length], free.Length), bytes.Length - offset);
                bytes.AsMemory(offset, size).CopyTo(free);
                reader.Advance(size);
                offset += size;
                while (reader.TryReadMessage(out var message))
                {
                    _ = QmpMessage.Parse(message.Span);
                    messages.Add(Encoding.UTF8.GetString(message.Span));
                }
            }
        }
        catch (Exception e)
        {
            error = e;
        }

        return messages;
    }

    private static Arbitrary<(byte[] Bytes, List<string> Messages)> StreamArbitrary() =>
        Gen.ListOf(Gen.Zip(Gen.Elements(s_templates), Gen.Elements(s_separators)))
            .Where(list => list.Count > 0)
            .Select(list =>
            {
                var builder = new StringBuilder();
                var messages = new List<string>();
                foreach (var (message, separator) in list)
                {
                    builder.Append(message).Append(separator);
                    messages.Add(message);
                }

                return (Encoding.UTF8.GetBytes(builder.ToString()), messages);
            })
            .ToArbitrary();

    private static Arbitrary<int[]> CutsArbitrary() =>
        Gen.ArrayOf(Gen.Choose(1, 64)).Where(a => a.Length > 0).ToArbitrary();
}
