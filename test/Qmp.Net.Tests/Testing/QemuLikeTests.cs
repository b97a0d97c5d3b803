using System.Text.Json;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Testing;

/// <summary>The QemuLike profile's run-state machine and events, through the real client. (What QEMU itself does is
/// proven by the integration tests' differential test; these hold the profile's behaviour without a QEMU.)</summary>
[CancelAfter(20_000)]
public class QemuLikeTests
{
    [Test]
    public async Task A_new_server_is_in_prelaunch_like_QEMU_started_with_S()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);

        var status = await client.ExecuteAsync("query-status").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
            Assert.That(status.GetProperty("running").GetBoolean(), Is.False);
            Assert.That(status.GetProperty("singlestep").GetBoolean(), Is.False);
            Assert.That(server.RunState, Is.EqualTo("prelaunch"));
        });
    }

    [Test]
    public async Task The_scripted_profile_has_no_run_state_and_no_query_status()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(server.RunState, Is.Null);
        Assert.That(
            async () => await client.ExecuteAsync("query-status").Bounded(),
            Throws.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound"));
    }

    [Test]
    public async Task Cont_delivers_RESUME_before_its_reply_and_only_when_the_machine_was_not_running()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteAsync("cont").Bounded();
        var afterFirst = Drain(client);
        await client.ExecuteAsync("cont").Bounded();
        var afterSecond = Drain(client);
        var status = await client.ExecuteAsync("query-status").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(afterFirst, Is.EqualTo(new[] { "RESUME" }), "RESUME must arrive before the cont reply");
            Assert.That(afterSecond, Is.Empty, "a running machine does not resume again");
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(status.GetProperty("running").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task Stop_pauses_a_running_machine_with_STOP_and_changes_nothing_otherwise()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteAsync("stop").Bounded();
        var inPrelaunch = Describe(client, server);
        await client.ExecuteAsync("cont").Bounded();
        Drain(client);
        await client.ExecuteAsync("stop").Bounded();
        var whenRunning = Describe(client, server);
        await client.ExecuteAsync("stop").Bounded();
        var whenPaused = Describe(client, server);

        Assert.Multiple(() =>
        {
            Assert.That(inPrelaunch, Is.EqualTo("events [] state prelaunch"));
            Assert.That(whenRunning, Is.EqualTo("events [STOP] state paused"));
            Assert.That(whenPaused, Is.EqualTo("events [] state paused"));
        });
    }

    [Test]
    public async Task System_reset_sends_RESET_and_brings_a_machine_that_is_not_running_back_to_prelaunch()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);
        await client.ExecuteAsync("cont").Bounded();
        Drain(client);

        await client.ExecuteAsync("system_reset").Bounded();
        client.Events.TryRead(out var whileRunning);
        var stateWhileRunning = server.RunState;
        await client.ExecuteAsync("stop").Bounded();
        Drain(client);
        await client.ExecuteAsync("system_reset").Bounded();
        var whilePaused = Drain(client);

        Assert.Multiple(() =>
        {
            Assert.That(whileRunning!.Name, Is.EqualTo("RESET"));
            Assert.That(whileRunning.Data.GetProperty("guest").GetBoolean(), Is.False);
            Assert.That(whileRunning.Data.GetProperty("reason").GetString(), Is.EqualTo("host-qmp-system-reset"));
            Assert.That(stateWhileRunning, Is.EqualTo("running"));
            Assert.That(whilePaused, Is.EqualTo(new[] { "RESET" }));
            Assert.That(server.RunState, Is.EqualTo("prelaunch"));
        });
    }

    [Test]
    public async Task System_powerdown_sends_POWERDOWN_and_the_machine_keeps_running()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);
        await client.ExecuteAsync("cont").Bounded();
        Drain(client);

        await client.ExecuteAsync("system_powerdown").Bounded();

        Assert.That(Drain(client), Is.EqualTo(new[] { "POWERDOWN" }));
        Assert.That(server.RunState, Is.EqualTo("running"));
    }

    [Test]
    public async Task Quit_sends_SHUTDOWN_then_answers_then_closes_and_refuses_new_connections()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);

        await client.ExecuteAsync("quit").Bounded();
        var delivered = client.Events.TryRead(out var shutdown);
        await client.Completion.Bounded();
        await server.WaitForDisconnectAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(delivered, Is.True, "SHUTDOWN must arrive before the quit reply");
            Assert.That(shutdown!.Name, Is.EqualTo("SHUTDOWN"));
            Assert.That(shutdown.Data.GetProperty("guest").GetBoolean(), Is.False);
            Assert.That(shutdown.Data.GetProperty("reason").GetString(), Is.EqualTo("host-qmp-quit"));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
        Assert.That(async () => await TestSupport.ConnectAsync(server), Throws.TypeOf<QmpConnectionException>());
    }

    [Test]
    public async Task The_state_belongs_to_the_server_and_outlives_a_connection()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using (var first = await TestSupport.ConnectAsync(server))
        {
            await first.ExecuteAsync("cont").Bounded();
        }

        await server.WaitForDisconnectAsync().Bounded();
        await using var second = await TestSupport.ConnectAsync(server);
        var status = await second.ExecuteAsync("query-status").Bounded();

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"));
    }

    [TestCase("query-status", "{\"x\":1}", "GenericError", "Parameter 'x' is unexpected")]
    [TestCase("cont", "{\"now\":true}", "GenericError", "Parameter 'now' is unexpected")]
    [TestCase("quit", "{\"force\":true}", "GenericError", "Parameter 'force' is unexpected")]
    [TestCase("qom-list", "{}", "GenericError", "Parameter 'path' is missing")]
    [TestCase("qom-list", "{\"path\":5}", "GenericError", "Invalid parameter type for 'path', expected: string")]
    [TestCase("qom-list", "{\"path\":\"/\",\"depth\":1}", "GenericError", "Parameter 'depth' is unexpected")]
    [TestCase("qom-list", "{\"path\":\"/nowhere\"}", "DeviceNotFound", "Device '/nowhere' not found")]
    [TestCase("qom-list", "{\"path\":\"\"}", "GenericError", "Path '' is ambiguous")]
    [TestCase("no-such-command", "{}", "CommandNotFound", "The command no-such-command has not been found")]
    public async Task Bad_commands_and_arguments_get_QEMUs_error_class_and_text(string command, string arguments, string errorClass, string description)
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);
        using var args = JsonDocument.Parse(arguments);

        Assert.That(
            async () => await client.ExecuteAsync(command, args.RootElement).Bounded(),
            Throws.TypeOf<QmpErrorException>()
                .With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo(errorClass)
                .And.Property(nameof(QmpErrorException.Description)).EqualTo(description));
        Assert.That(server.RunState, Is.EqualTo("prelaunch"), "a refused command changes nothing");
    }

    [Test]
    public async Task A_refused_quit_leaves_the_connection_open()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.That(async () => await client.ExecuteAsync("quit", new { Force = true }).Bounded(), Throws.TypeOf<QmpErrorException>());
        var status = await client.ExecuteAsync("query-status").Bounded();

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        Assert.That(Drain(client), Is.Empty, "a refused quit sends no SHUTDOWN");
    }

    [Test]
    public async Task Queries_answer_version_name_objects_and_commands()
    {
        var options = QmpTestServerOptions.QemuLike with { Version = new QmpVersion(7, 2, 9, "custom") };
        await using var server = await QmpTestServer.StartAsync(options);
        server.Handle("query-kvm", _ => new { enabled = false, present = false });
        await using var client = await TestSupport.ConnectAsync(server);

        var version = await client.ExecuteAsync("query-version").Bounded();
        var name = await client.ExecuteAsync("query-name").Bounded();
        var root = await client.ExecuteAsync("qom-list", new { Path = "/" }).Bounded();
        var commands = await client.ExecuteAsync("query-commands").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(version.GetProperty("qemu").GetProperty("major").GetInt32(), Is.EqualTo(7));
            Assert.That(version.GetProperty("qemu").GetProperty("micro").GetInt32(), Is.EqualTo(9));
            Assert.That(version.GetProperty("package").GetString(), Is.EqualTo("custom"));
            Assert.That(name.EnumerateObject(), Is.Empty);
            Assert.That(root.EnumerateArray().Select(p => p.GetProperty("name").GetString() + ":" + p.GetProperty("type").GetString()),
                Is.EqualTo(new[] { "type:string", "machine:child<none-machine>", "chardevs:child<container>" }));
            Assert.That(commands.EnumerateArray().Select(c => c.GetProperty("name").GetString()), Is.SupersetOf(new[]
            {
                "qmp_capabilities", "query-status", "stop", "cont", "system_reset", "system_powerdown", "quit",
                "query-version", "query-commands", "query-name", "qom-list", "query-kvm",
            }));
        });
    }

    [Test]
    public async Task A_test_handler_replaces_the_profiles_handler_of_the_same_command()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        server.Handle("query-name", _ => new { name = "vm1" });
        await using var client = await TestSupport.ConnectAsync(server);

        var name = await client.ExecuteAsync("query-name").Bounded();

        Assert.That(name.GetProperty("name").GetString(), Is.EqualTo("vm1"));
    }

    /// <summary>The events delivered so far and the server's run state, in one comparable line.</summary>
    private static string Describe(QmpClient client, QmpTestServer server) =>
        $"events [{string.Join(", ", Drain(client))}] state {server.RunState}";

    /// <summary>The names of the events delivered so far; the client delivers a command's events before its reply.</summary>
    private static string[] Drain(QmpClient client)
    {
        var names = new List<string>();
        while (client.Events.TryRead(out var e))
        {
            names.Add(e.Name);
        }

        return [.. names];
    }
}
