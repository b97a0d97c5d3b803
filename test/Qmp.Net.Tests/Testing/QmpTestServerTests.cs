using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Testing;

/// <summary>The test server's own behaviour, seen through a raw socket where the client would hide it.</summary>
public class QmpTestServerTests
{
    [Test]
    public async Task Before_negotiation_every_command_answers_CommandNotFound_like_QEMU()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => new { status = "running" });
        await using var raw = await RawClient.ConnectAsync(server);

        var greeting = await raw.ReadAsync();
        var before = await raw.RoundTripAsync("{\"execute\":\"query-status\",\"id\":\"a\"}");
        var negotiation = await raw.RoundTripAsync("{\"execute\":\"qmp_capabilities\"}");
        var after = await raw.RoundTripAsync("{\"execute\":\"query-status\"}");
        var again = await raw.RoundTripAsync("{\"execute\":\"qmp_capabilities\"}");

        Assert.Multiple(() =>
        {
            Assert.That(greeting.GetProperty("QMP").GetProperty("version").GetProperty("qemu").GetProperty("minor").GetInt32(), Is.EqualTo(2));
            Assert.That(greeting.GetProperty("QMP").GetProperty("capabilities")[0].GetString(), Is.EqualTo("oob"));
            Assert.That(before.GetProperty("error").GetProperty("class").GetString(), Is.EqualTo("CommandNotFound"));
            Assert.That(before.GetProperty("error").GetProperty("desc").GetString(), Is.EqualTo("Expecting capabilities negotiation with 'qmp_capabilities'"));
            Assert.That(before.GetProperty("id").GetString(), Is.EqualTo("a"));
            Assert.That(negotiation.GetProperty("return").EnumerateObject().Count(), Is.Zero);
            Assert.That(after.GetProperty("return").GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(again.GetProperty("error").GetProperty("desc").GetString(), Is.EqualTo("Capabilities negotiation is already complete, command ignored"));
            Assert.That(server.IsNegotiated, Is.True);
        });
    }

    [Test]
    public async Task Ids_are_echoed_exactly_as_sent()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var raw = await RawClient.ConnectAsync(server, negotiate: true);

        var line = await raw.RoundTripLineAsync("{\"execute\":\"x\",\"id\":{\"tag\":[1,2.50,\"s\"]}}");
        var viaError = await raw.RoundTripLineAsync("{\"execute\":\"nope\",\"id\":-7}");

        Assert.Multiple(() =>
        {
            Assert.That(line, Does.EndWith(",\"id\":{\"tag\":[1,2.50,\"s\"]}}"));
            Assert.That(viaError, Does.Contain("The command nope has not been found").And.EndWith("\"id\":-7}"));
            Assert.That(server.Commands[^2].Id!.Value.GetProperty("tag")[2].GetString(), Is.EqualTo("s"));
        });
    }

    [Test]
    public async Task Exec_oob_is_refused_until_oob_is_enabled()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-yank", _ => Array.Empty<int>());
        await using var plain = await RawClient.ConnectAsync(server, negotiate: true);

        var refused = await plain.RoundTripAsync("{\"exec-oob\":\"query-yank\",\"id\":1}");
        await plain.DisposeAsync();
        await server.WaitForDisconnectAsync().Bounded();
        await using var oob = await RawClient.ConnectAsync(server);
        await oob.ReadAsync();
        await oob.RoundTripAsync("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}");
        var accepted = await oob.RoundTripAsync("{\"exec-oob\":\"query-yank\",\"id\":2}");

        Assert.Multiple(() =>
        {
            Assert.That(refused.GetProperty("error").GetProperty("desc").GetString(), Is.EqualTo("QMP input member 'exec-oob' is unexpected"));
            Assert.That(refused.GetProperty("id").GetInt32(), Is.EqualTo(1));
            Assert.That(accepted.GetProperty("return").GetArrayLength(), Is.Zero);
            Assert.That(server.EnabledCapabilities, Is.EqualTo(new[] { "oob" }));
            Assert.That(server.Commands.Where(c => c.Name == "query-yank").Select(c => (c.IsOob, c.Connection)), Is.EqualTo(new[] { (true, 1), (true, 2) }));
            Assert.That(server.ConnectionCount, Is.EqualTo(2));
        });
    }

    [TestCase("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"nope\"]}}", "Capability 'nope' not available")]
    [TestCase("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":\"oob\"}}", "Invalid parameter type for 'enable', expected: array")]
    [TestCase("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\",1]}}", "Invalid parameter type for 'enable[1]', expected: string")]
    [TestCase("{\"arguments\":{}}", "QMP input lacks member 'execute'")]
    [TestCase("{\"execute\":\"x\",\"extra\":1}", "QMP input member 'extra' is unexpected")]
    [TestCase("{\"execute\":5}", "QMP input member 'execute' must be a string")]
    [TestCase("{\"execute\":\"x\",\"arguments\":[]}", "QMP input member 'arguments' must be an object")]
    [TestCase("{\"execute\":\"x\",\"exec-oob\":\"x\"}", "QMP input must not contain both 'execute' and 'exec-oob'")]
    [TestCase("[1]", "QMP input must be a JSON object")]
    [TestCase("{\"execute\" 1}", "JSON parse error")]
    public async Task Malformed_input_answers_GenericError_as_QEMU_does(string input, string description)
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var raw = await RawClient.ConnectAsync(server);
        await raw.ReadAsync();

        var reply = await raw.RoundTripAsync(input);

        Assert.Multiple(() =>
        {
            Assert.That(reply.GetProperty("error").GetProperty("class").GetString(), Is.EqualTo("GenericError"));
            Assert.That(reply.GetProperty("error").GetProperty("desc").GetString(), Is.EqualTo(description));
            Assert.That(server.IsNegotiated, Is.False);
        });
    }

    [Test]
    public async Task Handlers_answer_with_values_errors_or_nothing()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("value", args => new { Got = args.GetProperty("n").GetInt32() + 1 });
        server.HandleError("refuse", "DeviceNotFound", "Device 'd' not found");
        server.Handle("throw-qmp", _ => throw new QmpTestServerError("KVMMissingCap", "no kvm"));
        server.Handle("throw-other", _ => throw new InvalidOperationException("handler bug"));
        server.NeverReply("silent");
        await using var client = await TestSupport.ConnectAsync(server);

        var value = await client.ExecuteAsync("value", new { N = 1 }).Bounded();
        var refused = await TestSupport.ErrorOf(client.ExecuteAsync("refuse"));
        var thrown = await TestSupport.ErrorOf(client.ExecuteAsync("throw-qmp"));
        var bug = await TestSupport.ErrorOf(client.ExecuteAsync("throw-other"));
        var unknown = await TestSupport.ErrorOf(client.ExecuteAsync("no-such-command"));
        var silent = client.ExecuteAsync("silent");
        await server.WaitForCommandAsync("silent").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(value.GetProperty("got").GetInt32(), Is.EqualTo(2));
            Assert.That(refused, Is.TypeOf<QmpErrorException>().With.Property("ErrorClass").EqualTo("DeviceNotFound").And.Property("Description").EqualTo("Device 'd' not found"));
            Assert.That(thrown, Is.TypeOf<QmpErrorException>().With.Property("ErrorClass").EqualTo("KVMMissingCap"));
            Assert.That(bug, Is.TypeOf<QmpErrorException>().With.Property("ErrorClass").EqualTo("GenericError").And.Property("Description").EqualTo("handler bug"));
            Assert.That(server.HandlerFailures.Single().Message, Is.EqualTo("handler bug"));
            Assert.That(unknown, Is.TypeOf<QmpErrorException>().With.Property("ErrorClass").EqualTo("CommandNotFound").And.Property("Description").EqualTo("The command no-such-command has not been found"));
            Assert.That(silent.IsCompleted, Is.False);
        });
        client.Abort();
        Assert.That(await TestSupport.ErrorOf(silent), Is.TypeOf<QmpConnectionClosedException>());
    }

    [Test]
    public async Task The_log_keeps_name_arguments_id_and_raw_bytes()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { SendCommandIds = true });

        await client.ExecuteAsync("x", new { A = "b" }).Bounded();
        await client.ExecuteAsync("x").Bounded();

        var withArgs = await server.WaitForCommandAsync("x").Bounded();
        var withoutArgs = await server.WaitForCommandAsync(c => c.Name == "x" && c.Index > withArgs.Index).Bounded();
        Assert.Multiple(() =>
        {
            Assert.That(withArgs.Arguments.GetProperty("a").GetString(), Is.EqualTo("b"));
            Assert.That(withArgs.Id?.ValueKind, Is.EqualTo(JsonValueKind.Number));
            Assert.That(withArgs.RawText, Does.StartWith("{\"execute\":\"x\",\"arguments\":{\"a\":\"b\"}"));
            Assert.That(withArgs.IsOob, Is.False);
            Assert.That(withArgs.Connection, Is.EqualTo(1));
            Assert.That(withoutArgs.Arguments.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(withoutArgs.Arguments.EnumerateObject().Count(), Is.Zero);
            Assert.That(server.Commands.Select(c => c.Index), Is.EqualTo(new[] { 0, 1, 2 }));
        });
    }

    [Test]
    public async Task A_new_client_can_connect_after_the_previous_one_left()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Transport = QmpTestServerTransport.Tcp });
        server.Handle("x", _ => 1);

        await using (var first = await TestSupport.ConnectAsync(server))
        {
            await first.ExecuteAsync("x").Bounded();
        }

        await using var second = await TestSupport.ConnectAsync(server);
        var result = await second.ExecuteAsync("x").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(result.GetInt32(), Is.EqualTo(1));
            Assert.That(server.ConnectionCount, Is.EqualTo(2));
            Assert.That(server.Commands.Select(c => c.Connection).Distinct(), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(((QmpTcpEndpoint)server.Endpoint).Host, Is.EqualTo("127.0.0.1"));
        });
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_unix_socket_lives_in_a_private_directory_removed_on_dispose()
    {
        var server = await QmpTestServer.StartAsync();
        var directory = Path.GetDirectoryName(((QmpUnixEndpoint)server.Endpoint).Path)!;
        var mode = File.GetUnixFileMode(directory);

        await server.DisposeAsync().AsTask().Bounded();
        await server.DisposeAsync().AsTask().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(mode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(Directory.Exists(directory), Is.False);
        });
    }

    [Test]
    public async Task DisposeAsync_stops_a_handler_that_never_finishes_and_fails_waiters()
    {
        var server = await QmpTestServer.StartAsync();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Handle("stuck", async (_, ct) =>
        {
            ct.Register(() => handlerCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        });
        var client = await TestSupport.ConnectAsync(server);
        var stuck = client.ExecuteAsync("stuck");
        await server.WaitForCommandAsync("stuck").Bounded();
        var waiter = server.WaitForCommandAsync("never");

        await server.DisposeAsync().AsTask().Bounded();
        await handlerCancelled.Task.Bounded();

        Assert.Multiple(async () =>
        {
            Assert.That(await TestSupport.ErrorOf(waiter), Is.TypeOf<ObjectDisposedException>());
            Assert.That(await TestSupport.ErrorOf(stuck), Is.TypeOf<QmpConnectionClosedException>());
        });
        await client.DisposeAsync();
    }

    [Test]
    public async Task Sending_without_a_client_throws_InvalidOperationException()
    {
        await using var server = await QmpTestServer.StartAsync();

        Assert.Multiple(() =>
        {
            Assert.That(() => server.EmitEventAsync("STOP"), Throws.InvalidOperationException);
            Assert.That(() => server.SendRawAsync("{}"), Throws.InvalidOperationException);
            Assert.That(server.WaitForDisconnectAsync().IsCompleted, Is.True);
        });
    }

    [Test]
    public async Task A_reply_gate_lets_replies_through_one_by_one_and_only_one_gate_holds_at_a_time()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", args => args);
        await using var client = await TestSupport.ConnectAsync(server);
        var gate = server.HoldReplies();

        Assert.That(() => server.HoldReplies(), Throws.InvalidOperationException);
        var first = client.ExecuteAsync("x", new { N = 1 });
        var second = client.ExecuteAsync("x", new { N = 2 });
        await server.WaitForCommandAsync(c => c.Name == "x" && c.Arguments.GetProperty("n").GetInt32() == 2).Bounded();
        gate.Release();
        await first.Bounded();
        var secondHeld = !second.IsCompleted;
        gate.Dispose();
        await second.Bounded();
        using var next = server.HoldReplies();

        Assert.That(secondHeld, Is.True);
    }

    /// <summary>A QMP client in its rawest form: lines of JSON over the socket.</summary>
    [Test]
    public async Task Command_waiter_conditions_run_outside_the_servers_lock()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server);
        var probes = new System.Collections.Concurrent.ConcurrentQueue<bool>();

        // Each condition asks another thread for the server's command log (which takes the server's lock) and waits a
        // moment for it: a condition run under that lock would wait in vain.
        bool Matches(ReceivedCommand command)
        {
            var other = Task.Run(() => server.Commands.Count);
            probes.Enqueue(other.Wait(TimeSpan.FromSeconds(2)));
            return command.Name == "x";
        }

        var waiting = server.WaitForCommandAsync(Matches); // runs on qmp_capabilities, already received
        await client.ExecuteAsync("x").Bounded();          // runs when x arrives
        var first = await waiting.Bounded();
        var late = await server.WaitForCommandAsync(Matches).Bounded(); // runs on the log at once

        Assert.That(first.Name, Is.EqualTo("x"));
        Assert.That(late, Is.SameAs(first));
        Assert.That(probes, Has.Count.GreaterThanOrEqualTo(3).And.All.True);
    }

    [Test]
    public async Task Replies_and_events_write_enums_as_kebab_case_strings_as_the_client_does()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("echo", arguments => arguments);
        server.Handle("query-state", _ => new { State = SampleState.InMigrate, Previous = (SampleState?)null });
        await using var client = await TestSupport.ConnectAsync(server);
        var happened = client.WaitForEventAsync("STATE_CHANGED");

        await client.ExecuteAsync("echo", new { State = SampleState.InMigrate }).Bounded();
        var reply = await client.ExecuteAsync("query-state").Bounded();
        await server.EmitEventAsync("STATE_CHANGED", new { State = SampleState.PostMigrate }).Bounded();
        var @event = await happened.Bounded();

        Assert.Multiple(() =>
        {
            // What the client writes for an enum argument, the server writes for an enum in a reply or an event.
            Assert.That(server.Commands.Single(c => c.Name == "echo").Arguments.GetProperty("state").GetString(), Is.EqualTo("in-migrate"));
            Assert.That(reply.GetRawText(), Is.EqualTo("""{"state":"in-migrate"}"""));
            Assert.That(@event.Data.GetRawText(), Is.EqualTo("""{"state":"post-migrate"}"""));
        });
    }

    [Test]
    public async Task A_command_over_MaxCommandBytes_gets_an_error_without_id_and_the_connection_closes()
    {
        await using var server = await QmpTestServer.StartAsync(new QmpTestServerOptions { MaxCommandBytes = 1000 });
        await using var raw = await RawClient.ConnectAsync(server, negotiate: true);

        var reply = await raw.RoundTripAsync("{\"execute\":\"x\",\"id\":1,\"arguments\":{\"s\":\"" + new string('a', 5000));
        await server.WaitForDisconnectAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(reply.GetProperty("error").GetProperty("class").GetString(), Is.EqualTo("GenericError"));
            Assert.That(reply.GetProperty("error").GetProperty("desc").GetString(), Does.Contain("limit of 1000 bytes"));
            Assert.That(reply.TryGetProperty("id", out _), Is.False);
            Assert.That(server.IsClientConnected, Is.False);
            Assert.That(server.Commands.Select(c => c.Name), Is.EqualTo(new[] { "qmp_capabilities" }));
        });
    }

    private enum SampleState
    {
        Running,
        InMigrate,
        PostMigrate,
    }

    private sealed class RawClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private RawClient(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<RawClient> ConnectAsync(QmpTestServer server, bool negotiate = false)
        {
            var path = ((QmpUnixEndpoint)server.Endpoint).Path;
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).Bounded();
            var client = new RawClient(socket);
            if (negotiate)
            {
                await client.ReadAsync();
                await client.RoundTripAsync("{\"execute\":\"qmp_capabilities\"}");
            }

            return client;
        }

        public async Task<JsonElement> ReadAsync() => JsonDocument.Parse(await ReadLineAsync()).RootElement;

        public async Task<string> RoundTripLineAsync(string request)
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request)).AsTask().Bounded();
            return await ReadLineAsync();
        }

        public async Task<JsonElement> RoundTripAsync(string request) => JsonDocument.Parse(await RoundTripLineAsync(request)).RootElement;

        public async ValueTask DisposeAsync()
        {
            _reader.Dispose();
            await _stream.DisposeAsync();
            _socket.Dispose();
        }

        private async Task<string> ReadLineAsync() =>
            await _reader.ReadLineAsync().Bounded() ?? throw new EndOfStreamException("The server closed the connection.");
    }
}
