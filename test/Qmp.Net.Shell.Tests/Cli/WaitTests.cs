using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Tests.Support;
using Qmp.Net.Testing;

namespace Qmp.Net.Shell.Tests.Cli;

/// <summary><c>qmp ENDPOINT wait job ID</c> and <c>wait migration</c>, in-process against the QemuLike test server on a
/// real socket: the outcomes and their exit codes, the orderings real QEMU rarely shows (a job concluded before the
/// first look, a migration whose end is seen only by polling), JSON lines when piped and a progress line on a terminal.</summary>
public class WaitTests
{
    private QmpTestServer _server = null!;
    private FakeShellConsole _console = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        _server.Handle("job-dismiss", _ => new { });
        _server.Handle("migrate-set-capabilities", _ => new { });
        _console = new FakeShellConsole();
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private string Endpoint => _server.Endpoint.ToString();

    private Task<int> Start(string[] arguments, bool terminal = false)
    {
        var io = _console.CreateIO(new Dictionary<string, string>(), string.Empty, terminal);
        return Task.Run(() => QmpCli.RunAsync(arguments, io));
    }

    private static JsonArray Jobs(string status, long current, long total, string? error = null)
    {
        var job = new JsonObject { ["id"] = "m0", ["type"] = "mirror", ["status"] = status, ["current-progress"] = current, ["total-progress"] = total };
        if (error is not null)
        {
            job["error"] = error;
        }

        return [job];
    }

    private static List<JsonElement> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Test]
    public async Task A_job_that_concluded_with_an_error_before_the_first_look_exits_1_with_QEMUs_text()
    {
        _server.Handle("query-jobs", _ => Jobs("concluded", 0, 1, "Source and target image have different sizes"));

        var code = await Start([Endpoint, "wait", "job", "m0"]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(_console.Errors.Text, Does.Contain("job 'm0' failed: Source and target image have different sizes"));
        var last = Lines(_console.Screen.Text)[^1];
        Assert.That(last.GetProperty("outcome").GetString(), Is.EqualTo("failed"));
        Assert.That(last.GetProperty("error").GetString(), Is.EqualTo("Source and target image have different sizes"));
    }

    [Test]
    public async Task A_running_job_is_followed_to_its_end_with_JSON_lines_and_exits_0()
    {
        var state = Jobs("running", 5, 10);
        _server.Handle("query-jobs", _ => Volatile.Read(ref state));

        var run = Start([Endpoint, "wait", "job", "m0"]);
        await _console.Screen.WaitForAsync(t => t.Contains("\"running\""), "the running job's line");
        Volatile.Write(ref state, Jobs("concluded", 10, 10));
        await _server.EmitEventAsync("JOB_STATUS_CHANGE", new { id = "m0", status = "concluded" });
        await _server.EmitEventAsync("JOB_STATUS_CHANGE", new { id = "m0", status = "null" });
        var code = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.Zero, _console.Errors.Text);
        var lines = Lines(_console.Screen.Text);
        Assert.That(lines[0].GetProperty("job").GetString(), Is.EqualTo("m0"));
        Assert.That(lines[0].GetProperty("type").GetString(), Is.EqualTo("mirror"));
        Assert.That(lines[^1].GetProperty("outcome").GetString(), Is.EqualTo("success"));
        Assert.That(lines.Select(l => l.GetProperty("status").GetString()), Does.Contain("running"));
    }

    [Test]
    public async Task A_job_QEMU_does_not_list_exits_1_and_says_it_may_have_been_dismissed()
    {
        _server.Handle("query-jobs", _ => new JsonArray());

        var code = await Start([Endpoint, "wait", "job", "gone"]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(_console.Errors.Text, Does.Contain("QEMU has no job 'gone'").And.Contain("dismissed"));
        Assert.That(_console.Screen.Text, Is.Empty);
    }

    [Test]
    public async Task A_failed_migration_seen_only_by_polling_exits_1_with_the_error_desc()
    {
        // QEMU refuses capability changes while a migration runs: no MIGRATION event comes, the poll must see the end.
        _server.HandleError("migrate-set-capabilities", "GenericError", "There's a migration process in progress");
        var state = new JsonObject { ["status"] = "active", ["ram"] = new JsonObject { ["transferred"] = 100, ["remaining"] = 900, ["total"] = 1000 } };
        _server.Handle("query-migrate", _ => Volatile.Read(ref state));

        var run = Start([Endpoint, "wait", "migration"]);
        await _console.Screen.WaitForAsync(t => t.Contains("active"), "the active migration's line");
        Volatile.Write(ref state, new JsonObject { ["status"] = "failed", ["error-desc"] = "Unable to write to socket: Broken pipe" });
        var code = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(_console.Errors.Text, Does.Contain("the migration failed: Unable to write to socket: Broken pipe"));
        var lines = Lines(_console.Screen.Text);
        Assert.That(lines[0].GetProperty("migration").GetString(), Is.EqualTo("outgoing"));
        Assert.That(lines[^1].GetProperty("outcome").GetString(), Is.EqualTo("failed"));
    }

    [Test]
    public async Task A_completed_migration_event_ends_the_wait_with_0_and_a_terminal_gets_a_progress_line()
    {
        var state = new JsonObject { ["status"] = "active", ["ram"] = new JsonObject { ["transferred"] = 500, ["remaining"] = 500, ["total"] = 1000 } };
        _server.Handle("query-migrate", _ => Volatile.Read(ref state));

        var run = Start([Endpoint, "wait", "migration", "--no-color"], terminal: true);
        await _console.Screen.WaitForAsync(t => t.Contains("active"), "the active migration's line");
        Volatile.Write(ref state, new JsonObject { ["status"] = "completed", ["ram"] = new JsonObject { ["transferred"] = 1000, ["remaining"] = 0, ["total"] = 1000 } });
        await _server.EmitEventAsync("MIGRATION", new { status = "completed" });
        var code = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.Zero, _console.Errors.Text);
        Assert.That(_console.Screen.Text, Does.Contain("migration").And.Contain("100%").And.Contain("success"));
    }

    [Test]
    public async Task No_migration_exits_1()
    {
        _server.Handle("query-migrate", _ => new JsonObject());

        var code = await Start([Endpoint, "wait", "migration"]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(_console.Errors.Text, Does.Contain("no migration"));
    }

    [Test]
    public async Task The_connection_ending_mid_wait_exits_2()
    {
        _server.Handle("query-jobs", _ => Jobs("running", 1, 10));

        var run = Start([Endpoint, "wait", "job", "m0"]);
        await _server.WaitForCommandAsync("query-jobs").WaitAsync(TimeSpan.FromSeconds(30));
        await _server.CloseConnectionAsync();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.EqualTo(2));
        Assert.That(_console.Errors.Text, Does.Contain("connection"));
    }

    [TestCase(new[] { "ENDPOINT", "wait", "job" }, "'wait job' needs the job's ID")]
    [TestCase(new[] { "ENDPOINT", "wait", "jobs" }, "wait for what?")]
    [TestCase(new[] { "ENDPOINT", "wait", "migration", "--complete" }, "--complete is for jobs")]
    public async Task A_wait_usage_mistake_exits_2_before_connecting(string[] arguments, string message)
    {
        var code = await Start(arguments.Select(a => a == "ENDPOINT" ? Endpoint : a).ToArray()).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(code, Is.EqualTo(2));
        Assert.That(_console.Errors.Text, Does.Contain(message));
        Assert.That(_server.ConnectionCount, Is.Zero);
    }
}
