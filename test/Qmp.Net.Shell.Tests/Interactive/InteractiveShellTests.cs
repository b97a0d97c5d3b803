using System.Text.Json;
using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Tests.Support;
using Qmp.Net.Testing;

namespace Qmp.Net.Shell.Tests.Interactive;

/// <summary>The interactive shell run in-process through the console seam (<see cref="ShellIO"/> plus
/// <see cref="Editing.IShellConsole"/>): keys typed by the test, the screen recorded, against the QemuLike test server on
/// a real socket serving the schema QEMU 7.2.22 sent.</summary>
public class InteractiveShellTests
{
    private QmpTestServer _server = null!;
    private FakeShellConsole _console = null!;
    private string _history = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "query-qmp-schema-7.2.22.json"))).RootElement.Clone();
        _server.Handle("query-qmp-schema", _ => schema);
        _console = new FakeShellConsole();
        _history = Path.Combine(Path.GetTempPath(), $"qmp-shell-unit-{Guid.NewGuid():N}");
    }

    [TearDown]
    public async Task StopServer()
    {
        _console.Close();
        await _server.DisposeAsync();
        File.Delete(_history);
    }

    private Task<int> Run(params string[] arguments)
    {
        var io = _console.CreateIO(new Dictionary<string, string> { ["QMP_HISTORY_FILE"] = _history, ["NO_COLOR"] = "1" });
        return Task.Run(() => QmpCli.RunAsync([.. arguments, _server.Endpoint.ToString()], io));
    }

    private async Task<int> LeaveAsync(Task<int> run)
    {
        _console.Type("\u0015\u0004");
        return await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task A_typed_command_runs_and_its_result_is_printed_indented_under_the_prompt()
    {
        var run = Run();
        await _console.Screen.WaitForAsync("'help' for help");
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        _console.Type("query-status\r");
        var screen = await _console.Screen.WaitForAsync("\"status\": \"prelaunch\"");
        Assert.That(screen, Does.Contain("[prelaunch]> query-status\r\n{"));
        Assert.That(await LeaveAsync(run), Is.Zero);
        Assert.That(File.ReadAllLines(_history), Is.EqualTo(new[] { "query-status" }));
    }

    [Test]
    public async Task Tab_completes_from_the_schema_and_an_error_answer_is_printed_with_its_class()
    {
        var run = Run();
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        _console.Type("blockdev-de\tnode-\tnope\r");
        var command = await _server.WaitForCommandAsync("blockdev-del").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(command.Arguments.GetProperty("node-name").GetString(), Is.EqualTo("nope"));
        var screen = await _console.Screen.WaitForAsync("CommandNotFound");
        Assert.That(screen, Does.Contain("> blockdev-del node-name=nope\r\n"));
        Assert.That(await LeaveAsync(run), Is.Zero);
    }

    [Test]
    public async Task A_mistake_is_pointed_at_before_anything_is_sent()
    {
        var run = Run();
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        _console.Type("blockdev-del node=d0\r");
        var screen = await _console.Screen.WaitForAsync("Unknown member 'node'");
        Assert.That(screen, Does.Contain("  blockdev-del node=d0\r\n               ^^^^"));
        Assert.That(await LeaveAsync(run), Is.Zero);
        Assert.That(_server.Commands.Select(c => c.Name), Does.Not.Contain("blockdev-del"));
    }

    [Test]
    public async Task An_event_is_printed_above_a_half_typed_line_which_is_drawn_again_below_it_with_the_new_run_state()
    {
        var run = Run();
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        _console.Type("query-sta");
        await _console.Screen.WaitForAsync("> query-sta");
        await _server.EmitEventAsync("POWERDOWN");
        var screen = await _console.Screen.WaitForAsync(t => t.Contains("POWERDOWN", StringComparison.Ordinal)
            && t[t.LastIndexOf("POWERDOWN", StringComparison.Ordinal)..].Contains("\r\nqemu [prelaunch]> query-sta", StringComparison.Ordinal), "the line below the event");
        Assert.That(screen, Does.Not.Contain("query-sta\r\n"), "the half-typed line was never submitted");

        // cont from a second line: RESUME is printed, and the prompt follows the run state.
        _console.Type("\u0015cont\r");
        await _console.Screen.WaitForAsync("RESUME");
        await _console.Screen.WaitForAsync("[running]> ");
        Assert.That(await LeaveAsync(run), Is.Zero);
    }

    [Test]
    public async Task HMP_mode_sends_each_line_to_the_human_monitor_and_prints_its_text_without_CRLF()
    {
        _server.Handle("human-monitor-command", args => args.GetProperty("command-line").GetString() == "info status"
            ? "VM status: paused (prelaunch)\r\n"
            : "unknown command\r\n");
        var run = Run("-H");
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        _console.Type("info status\r");
        var screen = await _console.Screen.WaitForAsync("VM status: paused (prelaunch)");
        Assert.That(screen, Does.Contain("> info status\r\nVM status: paused (prelaunch)\r\n"));
        Assert.That(screen, Does.Not.Contain("prelaunch)\r\r\n"));
        Assert.That(await LeaveAsync(run), Is.Zero);
    }

    [Test]
    public async Task Verbose_echoes_the_command_and_its_answer_above_the_input_line_with_secrets_masked()
    {
        var run = Run("-v");
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        _console.Type("object-add qom-type=secret id=s0 data=hunter2\r");
        var screen = await _console.Screen.WaitForAsync(">> {\"execute\":\"object-add\"");
        Assert.That(screen, Does.Contain("\"data\":\"***\""));
        Assert.That(screen + _console.Errors.Text, Does.Not.Contain("hunter2\""));
        Assert.That(screen, Does.Not.Contain("query-qmp-schema\"}"), "the schema's own traffic is not echoed");
        Assert.That(await LeaveAsync(run), Is.Zero);
    }

    [Test]
    public async Task Wide_characters_move_the_cursor_two_columns()
    {
        var run = Run();
        await _console.Screen.WaitForAsync("[prelaunch]> ");
        var before = _console.Screen.Text.Length;
        _console.Type("x=\u540d");
        await _console.Screen.WaitForAsync("> x=\u540d");
        await _console.Screen.WaitForAsync(_ => _console.Screen.Text[before..].Contains("\r\u001b[22C", StringComparison.Ordinal), "the cursor at column 22 (18 of prompt, 2 + 2 of text): " + _console.Screen.Text[before..].Replace("\u001b", "ESC", StringComparison.Ordinal));
        Assert.That(await LeaveAsync(run), Is.Zero);
    }
}
