using System.Text.Json;
using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Tests.Support;
using Qmp.Net.Testing;

namespace Qmp.Net.Shell.Tests.Cli;

/// <summary>The command line as scripts use it, run in-process with redirected streams against the QemuLike test server on
/// a real socket: subcommands and usage errors, HMP one-shots and -H, -v, -p/-c, and the events commands cause (-e,
/// --until, --linger).</summary>
public class ScriptFeaturesTests
{
    private QmpTestServer _server = null!;
    private FakeShellConsole _console = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "query-qmp-schema-7.2.22.json"))).RootElement.Clone();
        _server.Handle("query-qmp-schema", _ => schema);
        _console = new FakeShellConsole();
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private string Endpoint => _server.Endpoint.ToString();

    private async Task<(int Code, string Out, string Err)> Run(string[] arguments, string stdin = "")
    {
        var io = _console.CreateIO(new Dictionary<string, string>(), stdin, terminal: false);
        var code = await Task.Run(() => QmpCli.RunAsync(arguments, io)).WaitAsync(TimeSpan.FromSeconds(60));
        return (code, _console.Screen.Text, _console.Errors.Text);
    }

    [Test]
    public async Task Events_and_schema_are_subcommands_after_the_endpoint()
    {
        var (code, output, _) = await Run([Endpoint, "schema", "query-status"]);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.StartWith("command query-status"));

        _console = new FakeShellConsole();
        (code, output, _) = await Run([Endpoint, "events", "--count", "0"]);
        Assert.That((code, output), Is.EqualTo((0, string.Empty)));
    }

    [TestCase(new[] { "events" }, "an ENDPOINT is needed")]
    [TestCase(new[] { "ENDPOINT", "events", "RESUME" }, "Unrecognized command or argument 'RESUME'")]
    [TestCase(new[] { "ENDPOINT", "events", "--count", "-1" }, "--count must be 0 or more")]
    [TestCase(new[] { "ENDPOINT", "--count", "1" }, "unknown option '--count' here")]
    [TestCase(new[] { "ENDPOINT", "query-status", "--json", "{}" }, "--json takes the whole command")]
    [TestCase(new[] { "ENDPOINT", "-p", "-c", "query-status" }, "--pretty and --compact exclude each other")]
    [TestCase(new[] { "not an endpoint", "query-status" }, "is not a QMP endpoint")]
    [TestCase(new[] { "ENDPOINT", "query-status", "--", "-S" }, "need --launch")]
    public async Task A_usage_mistake_exits_2_with_a_message_before_connecting(string[] arguments, string message)
    {
        var (code, output, error) = await Run(arguments.Select(a => a == "ENDPOINT" ? Endpoint : a).ToArray());
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Contain(message).And.Contain("Try 'qmp --help'."));
        Assert.That(_server.ConnectionCount, Is.Zero);
    }

    [Test]
    public async Task Help_and_version_exit_0()
    {
        var (code, output, _) = await Run(["--help"]);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("events").And.Contain("schema").And.Contain("--hmp").And.Contain("--verbose"));
        _console = new FakeShellConsole();
        (code, output, _) = await Run(["--version"]);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Match(@"^\d+\.\d+\.\d+"));
    }

    [Test]
    public async Task An_HMP_one_shot_prints_the_text_with_plain_line_ends_and_H_reads_every_word_as_HMP()
    {
        _server.Handle("human-monitor-command", args => "one: " + args.GetProperty("command-line").GetString() + "\r\ntwo\r\n");
        var (code, output, error) = await Run([Endpoint, "!info", "block"]);
        Assert.That((code, output, error), Is.EqualTo((0, "one: info block\ntwo\n", string.Empty)));

        _console = new FakeShellConsole();
        (code, output, _) = await Run([Endpoint, "-H", "info", "status"]);
        Assert.That((code, output), Is.EqualTo((0, "one: info status\ntwo\n")));

        _console = new FakeShellConsole();
        (code, output, _) = await Run([Endpoint, "--hmp"], stdin: "info name\n\ninfo status\n");
        Assert.That((code, output), Is.EqualTo((0, "one: info name\ntwo\none: info status\ntwo\n")));
    }

    [Test]
    public async Task An_HMP_command_refused_by_QEMU_exits_1()
    {
        _server.HandleError("human-monitor-command", "GenericError", "no such thing");
        var (code, _, error) = await Run([Endpoint, "!info", "nothing"]);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("GenericError: no such thing"));
    }

    [Test]
    public async Task Pretty_and_compact_override_what_the_stream_suggests()
    {
        var (_, output, _) = await Run([Endpoint, "-p", "query-status"]);
        Assert.That(output, Is.EqualTo("{\n  \"status\": \"prelaunch\",\n  \"singlestep\": false,\n  \"running\": false\n}\n"));
        _console = new FakeShellConsole();
        (_, output, _) = await Run([Endpoint, "query-status"]);
        Assert.That(output, Is.EqualTo("{\"status\":\"prelaunch\",\"singlestep\":false,\"running\":false}\n"));
    }

    [Test]
    public async Task Verbose_echoes_what_was_sent_and_received_on_stderr_with_sizes_expanded_and_secrets_masked()
    {
        _server.Handle("migrate-set-parameters", _ => new { });
        _server.Handle("object-add", _ => new { });
        var (code, output, error) = await Run([Endpoint, "-v", "migrate-set-parameters", "max-bandwidth=4M"]);
        Assert.That((code, output), Is.EqualTo((0, "{}\n")));
        Assert.That(error, Does.Contain(">> {\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":4194304}}\n<< {\"return\":{}}\n"));
        Assert.That(error, Does.Not.Contain("query-qmp-schema"));

        _console = new FakeShellConsole();
        (code, _, error) = await Run([Endpoint, "--verbose", "object-add", "qom-type=secret", "id=s0", "data=hunter2"]);
        Assert.That(code, Is.Zero);
        Assert.That(error, Does.Contain("\"data\":\"***\"").And.Not.Contain("hunter2"));
        Assert.That(_server.Commands.Last().Arguments.GetProperty("data").GetString(), Is.EqualTo("hunter2"));
    }

    [Test]
    public async Task Events_an_answer_was_preceded_by_are_printed_before_its_result()
    {
        var (code, output, _) = await Run([Endpoint, "-e", "cont"]);
        Assert.That(code, Is.Zero);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("{\"event\":\"RESUME\","));
        Assert.That(lines[1], Is.EqualTo("{}"));
    }

    [Test]
    public async Task Until_waits_after_the_command_for_the_event_it_causes()
    {
        // device_del's DEVICE_DELETED comes after its answer, as QEMU sends it for a USB device: the handler lets the
        // reply go, then emits the event.
        _server.Handle("device_del", (request, ct) =>
        {
            _ = Task.Run(() => _server.EmitEventAsync("DEVICE_DELETED", new { device = "u1", path = "/machine/peripheral/u1" }, cancellationToken: ct), ct);
            return Task.FromResult<object?>(new { });
        });
        var (code, output, error) = await Run([Endpoint, "--until", "DEVICE_DELETED", "device_del", "id=u1"]);
        Assert.That(code, Is.Zero, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2).And.Contain("{}"));
        Assert.That(lines.Single(l => l != "{}"), Does.StartWith("{\"event\":\"DEVICE_DELETED\",\"data\":{\"device\":\"u1\""));
    }

    [Test]
    [Repeat(20)]
    public async Task Until_exits_1_when_the_event_does_not_come_within_linger()
    {
        var (code, output, error) = await Run([Endpoint, "--until", "NEVER", "--linger", "0.2", "stop"]);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.EqualTo("{}\n"));
        Assert.That(error, Does.Contain("no 'NEVER' event within 0.2 s"));
    }

    [Test]
    public async Task Linger_ends_when_its_time_has_passed_on_the_tool_clock_and_not_before()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var io = _console.CreateIO(new Dictionary<string, string>(), terminal: false) with { Time = time };
        var run = Task.Run(() => QmpCli.RunAsync([Endpoint, "--until", "NEVER", "--linger", "600", "stop"], io));
        await _console.Screen.WaitForAsync("{}");

        // Events keep coming while the clock stands: the wait goes on and prints them.
        await _server.EmitEventAsync("POWERDOWN");
        await _console.Screen.WaitForAsync("\"event\":\"POWERDOWN\"");
        Assert.That(run.IsCompleted, Is.False);

        // The timer may be created a moment after the result is printed: advance until the run ends (bounded).
        for (var round = 0; round < 100 && !run.IsCompleted; round++)
        {
            time.Advance(TimeSpan.FromSeconds(600));
            await Task.WhenAny(run, Task.Delay(100));
        }

        Assert.That(await run.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1));
        Assert.That(_console.Errors.Text, Does.Contain("no 'NEVER' event within 600 s"));
    }

    [TestCase("JOB_STATUS_CHANGE", true)]
    [TestCase("job_status_change status=concluded", true)]
    [TestCase("JOB_STATUS_CHANGE status=concluded id=j0", true)]
    [TestCase("JOB_STATUS_CHANGE status=running", false)]
    [TestCase("JOB_STATUS_CHANGE,status=concluded,id=j1", false)]
    [TestCase("JOB_STATUS_CHANGE speed=0", false)]
    [TestCase("BLOCK_JOB_READY", false)]
    public void Until_matches_the_name_and_the_data_members_given(string until, bool matches)
    {
        using var data = JsonDocument.Parse("{\"status\":\"concluded\",\"id\":\"j0\"}");
        Assert.That(OneShotMode.MatchesUntil("JOB_STATUS_CHANGE", data.RootElement, until), Is.EqualTo(matches));
    }

    [Test]
    public async Task Following_events_while_commands_come_from_stdin_prints_them_in_order_with_the_results()
    {
        var (code, output, _) = await Run([Endpoint, "-e"], stdin: "cont\nstop\nquery-status\n");
        Assert.That(code, Is.Zero);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Select(l => l.StartsWith("{\"event\":", StringComparison.Ordinal) ? JsonDocument.Parse(l).RootElement.GetProperty("event").GetString() : l), Is.EqualTo(new[]
        {
            "RESUME", "{}", "STOP", "{}", "{\"status\":\"paused\",\"singlestep\":false,\"running\":false}",
        }));
    }

    [Test]
    public async Task Following_events_prints_those_that_arrive_between_commands_while_stdin_is_still_open()
    {
        var stdin = new BlockingReader();
        var io = _console.CreateIO(new Dictionary<string, string>(), terminal: false) with { In = stdin };
        var run = Task.Run(() => QmpCli.RunAsync([Endpoint, "-e"], io));
        stdin.Add("stop");
        await _console.Screen.WaitForAsync("{}");
        await _server.EmitEventAsync("POWERDOWN");
        await _console.Screen.WaitForAsync("\"event\":\"POWERDOWN\"");
        stdin.Complete();
        Assert.That(await run.WaitAsync(TimeSpan.FromSeconds(30)), Is.Zero);
    }

    /// <summary>Standard input that hands out lines as the test adds them.</summary>
    private sealed class BlockingReader : TextReader
    {
        private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public void Add(string line) => _lines.Writer.TryWrite(line);

        public void Complete() => _lines.Writer.TryComplete();

        public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await _lines.Reader.ReadAsync(cancellationToken);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                return null;
            }
        }
    }
}
