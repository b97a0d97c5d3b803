using System.Text;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>Message boundaries over a real socket: however the server's bytes are split or batched.</summary>
public class FramingTests
{
    [Test]
    public async Task A_reply_split_at_every_byte_position_is_read_whole()
    {
        const string reply = "{\"return\": {\"status\": \"running\", \"n\": 1}}\r\n";
        await using var server = await QmpTestServer.StartAsync();
        var split = 0;
        server.Handle("query-status", async (_, ct) =>
        {
            await server.SendRawAsync(reply[..split], ct);
            await server.SendRawAsync(reply[split..], ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        for (split = 1; split < reply.Length; split++)
        {
            var result = await client.ExecuteAsync("query-status").Bounded();
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("running"), $"split at {split}");
        }
    }

    [Test]
    public async Task Every_message_written_byte_by_byte_is_read()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { WriteChunkSize = 1 });
        server.Handle("cont", async (_, ct) =>
        {
            await server.EmitEventAsync("RESUME", cancellationToken: ct);
            return new { done = true };
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var result = await client.ExecuteAsync("cont").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(client.Greeting!.Version.Major, Is.EqualTo(7));
            Assert.That(result.GetProperty("done").GetBoolean(), Is.True);
            Assert.That(client.Events.TryRead(out var e) ? e.Name : null, Is.EqualTo("RESUME"));
        });
    }

    [Test]
    public async Task Many_messages_in_one_write_are_all_handled()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("batch", async (_, ct) =>
        {
            var events = string.Concat(Enumerable.Range(1, 20).Select(i => $"{{\"event\":\"E{i}\",\"timestamp\":{{\"seconds\":1,\"microseconds\":2}}}}"));
            await server.SendRawAsync(events + "{\"return\":{\"n\":1}}", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var result = await client.ExecuteAsync("batch").Bounded();
        var names = new List<string>();
        while (client.Events.TryRead(out var e))
        {
            names.Add(e.Name);
        }

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("n").GetInt32(), Is.EqualTo(1));
            Assert.That(names, Is.EqualTo(Enumerable.Range(1, 20).Select(i => $"E{i}")));
        });
    }

    [Test]
    public async Task Whitespace_and_CRLF_between_messages_are_ignored()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("spaced", async (_, ct) =>
        {
            await server.SendRawAsync("\r\n\r\n \t {\"event\":\"X\",\"timestamp\":{\"seconds\":1,\"microseconds\":0}}\n\n\r\n   {\"return\" : { \"a\" : 1 } }\r\n\r\n", ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var result = await client.ExecuteAsync("spaced").Bounded();
        var second = await client.ExecuteAsync("query-status").ContinueWith(t => t.Exception?.InnerException).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("a").GetInt32(), Is.EqualTo(1));
            Assert.That(client.Events.Count, Is.EqualTo(1));
            Assert.That(second, Is.TypeOf<QmpErrorException>(), "the connection is still in step");
            Assert.That(client.IsConnected, Is.True);
        });
    }

    [Test]
    public async Task Pretty_printed_messages_work_as_compact_ones()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Indented = true });
        server.Handle("query-status", async (_, ct) =>
        {
            await server.EmitEventAsync("STOP", new { reason = "x" }, cancellationToken: ct);
            return new { status = "paused", running = false };
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var result = await client.ExecuteAsync("query-status").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(client.NegotiatedCapabilities, Is.EqualTo(new[] { "oob" }));
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("paused"));
            Assert.That(client.Events.TryRead(out var e) ? e.Data.GetProperty("reason").GetString() : null, Is.EqualTo("x"));
        });
    }

    private static IEnumerable<TestCaseData> Violations()
    {
        yield return new TestCaseData(Encoding.UTF8.GetBytes("[1]\r\n")).SetArgDisplayNames("array");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("42\r\n")).SetArgDisplayNames("number");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("{\"return\": ]}\r\n")).SetArgDisplayNames("invalid JSON");
        yield return new TestCaseData((byte[])[.. "{\"return\": \"a"u8, 0xFF, 0xFE, .. "\"}\r\n"u8]).SetArgDisplayNames("invalid UTF-8");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("{\"return\": \"" + new string('x', 3000) + "\"}\r\n")).SetArgDisplayNames("over MaxMessageBytes");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("{\"neither\": 1}\r\n")).SetArgDisplayNames("no known member");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("{\"return\": {}, \"event\": \"X\"}\r\n")).SetArgDisplayNames("response and event");
        yield return new TestCaseData(Encoding.UTF8.GetBytes("{\"QMP\": {\"version\": {\"qemu\": {\"major\": 1, \"minor\": 0, \"micro\": 0}}}}\r\n")).SetArgDisplayNames("second greeting");
    }

    [TestCaseSource(nameof(Violations))]
    public async Task A_protocol_violation_fails_every_pending_command_and_Completion_with_the_same_UnexpectedResponse(byte[] garbage)
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("wait");
        server.Handle("bad", async (_, ct) =>
        {
            await server.WaitForCommandAsync("wait", ct);
            await server.SendRawAsync(garbage, ct);
            return QmpTestServer.NoReply;
        });
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { MaxMessageBytes = 2048 });

        var bad = client.ExecuteAsync("bad");
        var waiting = client.ExecuteAsync("wait");
        var error = await TestSupport.ErrorOf(bad);

        var waitingError = await TestSupport.ErrorOf(waiting);
        var completionError = await TestSupport.ErrorOf(client.Completion);
        await server.WaitForDisconnectAsync().Bounded();

        Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
        Assert.Multiple(() =>
        {
            Assert.That(waitingError, Is.SameAs(error));
            Assert.That(completionError, Is.SameAs(error));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
            Assert.That(server.IsClientConnected, Is.False);
        });
    }
}
