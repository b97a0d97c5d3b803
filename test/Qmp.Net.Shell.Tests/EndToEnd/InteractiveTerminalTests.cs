using System.Diagnostics;
using Qmp.Net.Shell.Tests.Support;

namespace Qmp.Net.Shell.Tests.EndToEnd;

/// <summary>The real tool in a real terminal (tmux), against a real QEMU 7.2.</summary>
[Category("EndToEnd")]
public class InteractiveTerminalTests
{
    private const string Prompt = "shelltest [prelaunch]> ";
    private string _directory = null!;

    [SetUp]
    public void SetUp()
    {
        Requirements.NeedTmux();
        Requirements.NeedQemu();
        _directory = Directory.CreateTempSubdirectory("qmp-sh-e2e-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    private Dictionary<string, string> Environment(string history = "history") =>
        new() { ["QMP_HISTORY_FILE"] = Path.Combine(_directory, history) };

    [Test]
    public async Task Tab_completes_a_command_name_from_the_connected_QEMU_and_Enter_prints_its_result()
    {
        await using var qemu = await TestQemu.StartAsync();
        await using var tmux = await TmuxSession.StartAsync([qemu.ToolEndpoint], Environment());
        await tmux.WaitForLastLineAsync(Prompt.TrimEnd());

        // QEMU 7.2 has query-stats, query-stats-schemas and query-status: Tab goes as far as they agree and lists them.
        await tmux.TypeAsync("query-sta");
        await tmux.PressAsync("Tab");
        await tmux.WaitForLastLineAsync(Prompt + "query-stat");
        await tmux.PressAsync("Tab");
        var listed = await tmux.WaitForTextAsync("query-stats-schemas");
        Assert.That(listed, Does.Contain("query-status"));

        await tmux.TypeAsync("u");
        await tmux.PressAsync("Tab");
        await tmux.WaitForLastLineAsync(Prompt + "query-status");
        await tmux.PressAsync("Enter");
        var screen = await tmux.WaitForTextAsync("\"status\": \"prelaunch\"");
        Assert.That(screen, Does.Contain("\"running\": false"));
    }

    [Test]
    public async Task An_error_from_QEMU_shows_its_class_and_description_and_a_mistake_is_pointed_at_before_sending()
    {
        await using var qemu = await TestQemu.StartAsync();
        await using var tmux = await TmuxSession.StartAsync([qemu.ToolEndpoint], Environment());
        await tmux.WaitForLastLineAsync(Prompt.TrimEnd());

        await tmux.TypeAsync("device_del id=nope");
        await tmux.PressAsync("Enter");
        await tmux.WaitForTextAsync("DeviceNotFound: Device 'nope' not found");

        await tmux.TypeAsync("query-status bogus=1");
        await tmux.PressAsync("Enter");
        var screen = await tmux.WaitForTextAsync("Unknown member 'bogus'");
        var lines = screen.Split('\n');
        var echoed = Array.FindLastIndex(lines, l => l == "  query-status bogus=1");
        Assert.That(echoed, Is.GreaterThan(0), screen);
        Assert.That(lines[echoed + 1].TrimEnd(), Is.EqualTo("               ^^^^^"), "the carets stand under the unknown key");
    }

    [Test]
    public async Task An_event_is_printed_above_a_half_typed_line_which_stays_intact_and_the_prompt_follows_the_run_state()
    {
        await using var qemu = await TestQemu.StartAsync();
        await using var tmux = await TmuxSession.StartAsync([qemu.ToolEndpoint], Environment());
        await tmux.WaitForLastLineAsync(Prompt.TrimEnd());

        await tmux.TypeAsync("query-na");
        await tmux.WaitForLastLineAsync(Prompt + "query-na");
        await qemu.Control.ExecuteAsync("cont");

        var screen = await tmux.WaitForLastLineAsync("shelltest [running]> query-na");
        var lines = screen.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.That(lines[^2], Does.EndWith("] RESUME"), "the event is the line just above the input line");

        await tmux.TypeAsync("me");
        await tmux.PressAsync("Enter");
        await tmux.WaitForTextAsync("\"name\": \"shelltest\"");
    }

    [Test]
    public async Task History_is_kept_across_two_sessions_and_Ctrl_R_finds_an_old_line()
    {
        await using var qemu = await TestQemu.StartAsync();
        await using (var first = await TmuxSession.StartAsync([qemu.ToolEndpoint], Environment()))
        {
            await first.WaitForLastLineAsync(Prompt.TrimEnd());
            await first.TypeAsync("query-name");
            await first.PressAsync("Enter");
            await first.WaitForTextAsync("\"name\": \"shelltest\"");
            await first.TypeAsync("query-version");
            await first.PressAsync("Enter");
            await first.WaitForTextAsync("\"qemu\"");
            await first.PressAsync("C-d");
            Assert.That(await first.WaitForExitAsync(), Is.Zero);
        }

        await using var second = await TmuxSession.StartAsync([qemu.ToolEndpoint], Environment());
        await second.WaitForLastLineAsync(Prompt.TrimEnd());
        await second.PressAsync("Up");
        await second.WaitForLastLineAsync(Prompt + "query-version");
        await second.PressAsync("Up");
        await second.WaitForLastLineAsync(Prompt + "query-name");
        await second.PressAsync("C-u", "C-r");
        await second.TypeAsync("nam");
        await second.WaitForLastLineAsync("(reverse-i-search)'nam': query-name");
        await second.PressAsync("Enter");
        await second.WaitForTextAsync("\"name\": \"shelltest\"");
        Assert.That(File.ReadAllLines(Path.Combine(_directory, "history")), Is.EqualTo(new[] { "query-name", "query-version", "query-name" }), "the line found again is added once more");
    }

    [Test]
    public async Task Ctrl_C_clears_the_line_and_Ctrl_D_on_a_launched_QEMU_leaves_no_process_behind()
    {
        await using var tmux = await TmuxSession.StartAsync(["--launch"], Environment());
        await tmux.WaitForLastLineAsync("qemu [prelaunch]>");
        var children = ProcessTree.Descendants(tmux.PanePid);
        var qemus = children.Where(p => p.Name.StartsWith("qemu-system", StringComparison.Ordinal)).ToList();
        Assert.That(qemus, Has.Count.EqualTo(1), "the launched QEMU runs below the shell: " + string.Join(", ", children));

        await tmux.TypeAsync("query-nothing-yet");
        await tmux.WaitForLastLineAsync("qemu [prelaunch]> query-nothing-yet");
        await tmux.PressAsync("C-c");
        var screen = await tmux.WaitForLastLineAsync("qemu [prelaunch]>");
        Assert.That(screen, Does.Contain("qemu [prelaunch]> query-nothing-yet^C\n"), "the dropped line stays visible, a fresh prompt follows");

        await tmux.PressAsync("C-d");
        Assert.That(await tmux.WaitForExitAsync(), Is.Zero);
        Assert.That(ProcessTree.IsAlive(qemus[0].Pid), Is.False, "QEMU was stopped with the shell");
        var left = ProcessTree.Descendants(tmux.PanePid).Where(p => p.Name != "sleep").ToList();
        Assert.That(left, Is.Empty, "only the pane's own sleep may remain");
    }

    [Test]
    public async Task SIGTERM_ends_the_shell_and_stops_the_QEMU_it_launched()
    {
        await using var tmux = await TmuxSession.StartAsync(["--launch"], Environment());
        await tmux.WaitForLastLineAsync("qemu [prelaunch]>");
        var children = ProcessTree.Descendants(tmux.PanePid);
        var tool = children.Single(p => p.Name == "dotnet");
        var qemu = children.Single(p => p.Name.StartsWith("qemu-system", StringComparison.Ordinal));

        // The monitor socket is named in -chardev socket,...,path=P (accept mode, the default) or -qmp unix:P (connect mode).
        var socketPath = File.ReadAllText($"/proc/{qemu.Pid}/cmdline").Split('\0')
            .Select(a => a.StartsWith("unix:", StringComparison.Ordinal) ? a["unix:".Length..].Split(',')[0]
                : a.Split(',').FirstOrDefault(part => part.StartsWith("path=", StringComparison.Ordinal))?["path=".Length..])
            .First(path => path is not null && path.EndsWith("qmp.sock", StringComparison.Ordinal))!;
        using var orphan = Process.GetProcessById(qemu.Pid);

        Process.GetProcessById(tool.Pid).Kill(entireProcessTree: false);
        Assert.That(await tmux.WaitForExitAsync(), Is.Not.Zero, "SIGKILL: nothing in the shell can clean up after it");
        // QemuProcess binds a QEMU to its owner (docs/qemu-process.md): the kernel's parent-death signal ends it even when
        // the owner dies by SIGKILL. What it cannot do is remove the private socket directory: that is ours to delete.
        await orphan.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(ProcessTree.IsAlive(qemu.Pid), Is.False, "QEMU ended with its SIGKILLed owner");
        if (Directory.Exists(Path.GetDirectoryName(socketPath)))
        {
            Directory.Delete(Path.GetDirectoryName(socketPath)!, recursive: true);
        }

        await using var second = await TmuxSession.StartAsync(["--launch"], Environment());
        await second.WaitForLastLineAsync("qemu [prelaunch]>");
        var again = ProcessTree.Descendants(second.PanePid);
        var secondTool = again.Single(p => p.Name == "dotnet");
        var secondQemu = again.Single(p => p.Name.StartsWith("qemu-system", StringComparison.Ordinal));
        using (var term = Process.Start("kill", ["-TERM", secondTool.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        Assert.That(await second.WaitForExitAsync(), Is.Zero);
        Assert.That(ProcessTree.IsAlive(secondQemu.Pid), Is.False, "QEMU was stopped before the shell ended");
    }

    [Test]
    public async Task A_mirror_job_shows_a_progress_bar_that_reaches_100_percent()
    {
        Requirements.Need("qemu-img", "qemu-utils");
        var source = Path.Combine(_directory, "src.qcow2");
        var target = Path.Combine(_directory, "dst.qcow2");
        var raw = Path.Combine(_directory, "data.raw");
        await using (var file = File.Create(raw))
        {
            var block = new byte[1024 * 1024];
            Random.Shared.NextBytes(block);
            for (var i = 0; i < 32; i++)
            {
                await file.WriteAsync(block);
            }
        }

        await QemuImgAsync("convert", "-f", "raw", "-O", "qcow2", raw, source);
        await QemuImgAsync("create", "-f", "qcow2", target, "32M");

        await using var tmux = await TmuxSession.StartAsync(["--launch"], Environment());
        await tmux.WaitForLastLineAsync("qemu [prelaunch]>");
        foreach (var (node, path) in new[] { ("src", source), ("dst", target) })
        {
            await tmux.TypeAsync($"blockdev-add driver=qcow2 node-name={node} file.driver=file file.filename={path}");
            await tmux.PressAsync("Enter");
            await tmux.WaitForLastLineAsync("qemu [prelaunch]>");
        }

        // 32 MiB at 16 MiB/s: about two seconds, long enough to watch the bar move.
        await tmux.TypeAsync("blockdev-mirror job-id=m0 device=src target=dst sync=full speed=16777216");
        await tmux.PressAsync("Enter");
        await tmux.WaitForAsync(s => s.Contains("m0               mirror   running", StringComparison.Ordinal), "the running bar");
        var done = await tmux.WaitForAsync(s => s.Contains("ready: 'job-complete id=m0'", StringComparison.Ordinal), "the job ready");
        var bar = done.Split('\n').Last(l => l.StartsWith("m0 ", StringComparison.Ordinal));
        Assert.That(bar, Does.Contain("ready").And.Contain("100%").And.Contain("32.0/32.0 MiB"));
        Assert.That(bar, Does.Contain("[" + new string('#', 40) + "]"));

        await tmux.TypeAsync("jobs");
        await tmux.PressAsync("Enter");
        await tmux.WaitForAsync(s => s.Split('\n').Any(l => l.Contains("m0", StringComparison.Ordinal) && l.Contains("100%", StringComparison.Ordinal) && l.Contains("mirror", StringComparison.Ordinal)), "the jobs table");
    }

    [Test]
    public async Task A_mirror_started_by_hand_on_another_monitor_shows_in_the_jobs_table_and_is_never_dismissed()
    {
        await using var qemu = await TestQemu.StartAsync();
        await using var tmux = await TmuxSession.StartAsync([qemu.ToolEndpoint], Environment());
        await tmux.WaitForLastLineAsync(Prompt.TrimEnd());

        // Null block devices: nothing on disk; without read-zeroes their data is not known to be zero, so it is copied.
        foreach (var node in new[] { "src", "dst" })
        {
            await qemu.Control.ExecuteAsync("blockdev-add", new System.Text.Json.Nodes.JsonObject { ["driver"] = "null-co", ["node-name"] = node, ["size"] = 4 * 1024 * 1024 });
        }

        await qemu.Control.ExecuteAsync("blockdev-mirror", new System.Text.Json.Nodes.JsonObject
        {
            ["job-id"] = "hand0", ["device"] = "src", ["target"] = "dst", ["sync"] = "full", ["auto-dismiss"] = false,
        });
        await tmux.WaitForAsync(s => s.Split('\n').Any(l => l.Contains("JOB_STATUS_CHANGE", StringComparison.Ordinal) && l.Contains("ready", StringComparison.Ordinal)), "the ready event");

        await tmux.TypeAsync("jobs");
        await tmux.PressAsync("Enter");
        await tmux.WaitForAsync(s => s.Split('\n').Any(l => l.Contains("hand0", StringComparison.Ordinal) && l.Contains("mirror", StringComparison.Ordinal) && l.Contains("ready", StringComparison.Ordinal)), "the jobs table with the ready mirror");

        await qemu.Control.ExecuteAsync("job-complete", new System.Text.Json.Nodes.JsonObject { ["id"] = "hand0" });
        await tmux.WaitForAsync(s => s.Split('\n').Any(l => l.Contains("JOB_STATUS_CHANGE", StringComparison.Ordinal) && l.Contains("concluded", StringComparison.Ordinal)), "the concluded event");
        await tmux.TypeAsync("jobs");
        await tmux.PressAsync("Enter");
        await tmux.WaitForAsync(s => s.Split('\n').Any(l => l.Contains("hand0", StringComparison.Ordinal) && l.Contains("concluded", StringComparison.Ordinal) && l.Contains("100%", StringComparison.Ordinal)), "the jobs table with the concluded mirror");

        // The shell watched it end and left it alone: it is still there for its owner to dismiss.
        var jobs = await qemu.Control.ExecuteAsync("query-jobs");
        Assert.That(jobs.EnumerateArray().Single().GetProperty("status").GetString(), Is.EqualTo("concluded"));
    }

    private static async Task QemuImgAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("qemu-img") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, await process.StandardError.ReadToEndAsync());
    }
}
