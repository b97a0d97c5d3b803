using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Qmp.Net.Shell.Tests.Support;

namespace Qmp.Net.Shell.Tests.EndToEnd;

/// <summary>The real tool run as a script runs it (no terminal): output and exit codes.</summary>
[Category("EndToEnd")]
public class OneShotTests
{
    private TestQemu _qemu = null!;

    [OneTimeSetUp]
    public async Task StartQemu() => _qemu = await TestQemu.StartAsync();

    [OneTimeTearDown]
    public async Task StopQemu()
    {
        if (_qemu is not null)
        {
            await _qemu.DisposeAsync();
        }
    }

    [Test]
    public async Task A_command_prints_its_result_as_one_compact_JSON_line_and_exits_0()
    {
        var result = await Tool.RunAsync([_qemu.ToolEndpoint, "query-status"]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("{\"status\":\"prelaunch\",\"singlestep\":false,\"running\":false}\n"));
        Assert.That(result.Stderr, Is.Empty);
    }

    [Test]
    public async Task Key_value_arguments_and_dotted_keys_reach_QEMU()
    {
        var result = await Tool.RunAsync([_qemu.ToolEndpoint, "human-monitor-command", "command-line=info name"]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(JsonDocument.Parse(result.Stdout).RootElement.GetString(), Does.Contain("shelltest"));

        var added = await Tool.RunAsync([_qemu.ToolEndpoint, "blockdev-add", "driver=null-co", "node-name=n1", "size=1048576"]);
        Assert.That(added.ExitCode, Is.Zero, added.ToString());
        var named = await Tool.RunAsync([_qemu.ToolEndpoint, "query-named-block-nodes", "flat=true"]);
        Assert.That(named.Stdout, Does.Contain("\"node-name\":\"n1\""));
    }

    [Test]
    public async Task A_raw_JSON_command_and_commands_from_standard_input_run_too()
    {
        var json = await Tool.RunAsync([_qemu.ToolEndpoint, "--json", "{\"execute\": \"query-name\"}"]);
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.That(json.Stdout, Is.EqualTo("{\"name\":\"shelltest\"}\n"));

        var lines = await Tool.RunAsync([_qemu.ToolEndpoint], stdin: "query-name\n# a comment\n\n!info status\nquery-status\n");
        Assert.That(lines.ExitCode, Is.Zero, lines.ToString());
        Assert.That(lines.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3));
        Assert.That(lines.Stdout, Does.StartWith("{\"name\":\"shelltest\"}\nVM status: paused (prelaunch)\n{"));
    }

    [Test]
    public async Task An_error_from_QEMU_exits_1_with_its_class_and_description_on_stderr()
    {
        var result = await Tool.RunAsync([_qemu.ToolEndpoint, "device_del", "id=nope"]);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stdout, Is.Empty);
        Assert.That(result.Stderr, Is.EqualTo("error: DeviceNotFound: Device 'nope' not found\n"));
    }

    [Test]
    public async Task A_refused_connection_exits_2_naming_the_endpoint()
    {
        var socket = Path.Combine(_qemu.Directory, "nobody-listens.sock");
        var unix = await Tool.RunAsync(["unix:" + socket, "query-status"]);
        Assert.That(unix.ExitCode, Is.EqualTo(2), unix.ToString());
        Assert.That(unix.Stderr, Does.StartWith($"error: cannot connect to unix:{socket}"));

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var tcp = await Tool.RunAsync([$"127.0.0.1:{port}", "query-status"]);
        Assert.That(tcp.ExitCode, Is.EqualTo(2), tcp.ToString());
        Assert.That(tcp.Stderr, Does.Contain($"cannot connect to tcp:127.0.0.1:{port}").And.Contain("refused"));
    }

    [TestCase(new[] { "query-status", "x=[1," }, "not valid JSON", TestName = "Bad input exits 2: a broken JSON value")]
    [TestCase(new[] { "query-status", "bogus=1" }, "Unknown member 'bogus'", TestName = "Bad input exits 2: an argument the schema does not have")]
    [TestCase(new[] { "blockdev-del" }, "The mandatory member 'node-name'", TestName = "Bad input exits 2: a missing mandatory argument")]
    [TestCase(new[] { "blockdev-add", "driver=nosuch", "node-name=x" }, "'nosuch' is not one of", TestName = "Bad input exits 2: a value outside the enumeration")]
    [TestCase(new[] { "query-status", "oops" }, "expected key=value", TestName = "Bad input exits 2: a word without '='")]
    public async Task Bad_input_exits_2_with_a_pointer_at_the_mistake(string[] words, string message)
    {
        var result = await Tool.RunAsync([_qemu.ToolEndpoint, .. words]);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stdout, Is.Empty);
        Assert.That(result.Stderr, Does.Contain(message));
        Assert.That(result.Stderr, Does.Contain("  " + string.Join(' ', words) + "\n").And.Contain("^"));
    }

    [Test]
    public async Task A_wrong_command_line_exits_2()
    {
        var noEndpoint = await Tool.RunAsync([]);
        Assert.That(noEndpoint.ExitCode, Is.EqualTo(2), noEndpoint.ToString());
        var notAnEndpoint = await Tool.RunAsync(["query-status"]);
        Assert.That(notAnEndpoint.Stderr, Does.Contain("'query-status' is not a QMP endpoint"));
        Assert.That(notAnEndpoint.ExitCode, Is.EqualTo(2));
        var unknownOption = await Tool.RunAsync([_qemu.ToolEndpoint, "events", "--count", "x"]);
        Assert.That(unknownOption.ExitCode, Is.EqualTo(2), unknownOption.ToString());
    }

    [Test]
    public async Task Events_count_prints_that_many_events_as_JSON_lines_and_exits_0()
    {
        using var tool = Tool.Start([_qemu.ToolEndpoint, "events", "--count", "2", "--name", "RESUME"]);
        var stdout = tool.StandardOutput.ReadToEndAsync();
        var stderr = tool.StandardError.ReadToEndAsync();

        // The tool may not be connected yet: toggle the run state until it has seen two RESUMEs, within a bound.
        var watch = Stopwatch.StartNew();
        while (!tool.HasExited && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await _qemu.Control.ExecuteAsync("cont");
            await _qemu.Control.ExecuteAsync("stop");
            await Task.WhenAny(tool.WaitForExitAsync(), Task.Delay(100));
        }

        Assert.That(tool.HasExited, Is.True, "qmp events --count 2 ended");
        Assert.That(tool.ExitCode, Is.Zero, await stderr);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        foreach (var line in lines)
        {
            var root = JsonDocument.Parse(line).RootElement;
            Assert.That(root.GetProperty("event").GetString(), Is.EqualTo("RESUME"));
            Assert.That(root.GetProperty("timestamp").GetProperty("seconds").GetInt64(), Is.GreaterThan(1_600_000_000));
        }
    }

    [Test]
    public async Task Schema_describes_a_command_from_the_connected_QEMU()
    {
        var result = await Tool.RunAsync([_qemu.ToolEndpoint, "schema", "blockdev-del"]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.StartWith("command blockdev-del\n"));
        Assert.That(result.Stdout, Does.Match(@"node-name\s+required\s+str"));

        var unknown = await Tool.RunAsync([_qemu.ToolEndpoint, "schema", "no-such-thing"]);
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
    }
}
