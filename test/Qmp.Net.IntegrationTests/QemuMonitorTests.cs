using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>The client against a real QEMU 7.2 monitor (<c>-machine none -nodefaults -display none -S</c>).
/// Each test starts its own QEMU (it takes milliseconds) and stops it with <c>await using</c>, also when it fails.</summary>
[CancelAfter(30_000)]
public sealed partial class QemuMonitorTests
{
    [Test]
    public async Task Greeting_version_equals_what_qemu_version_prints(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var printed = await QemuFixture.RunAsync(QemuFixture.Require(), "--version");

        var match = VersionLine().Match(printed);
        Assert.That(match.Success, Is.True, "unexpected --version output: " + printed);
        var expected = new QmpVersion(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture),
            match.Groups[4].Success ? match.Groups[4].Value : string.Empty);
        Assert.That(qemu.Client.Greeting!.Version, Is.EqualTo(expected));
        Assert.That(qemu.Version, Is.EqualTo(expected));
    }

    [Test]
    public async Task Query_status_of_a_paused_machine_is_prelaunch(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        var status = await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        Assert.That(status.GetProperty("running").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Cont_then_stop_deliver_RESUME_and_STOP_with_the_servers_timestamps(CancellationToken cancellationToken)
    {
        var log = new WireLog();
        await using var qemu = await QemuFixture.StartAsync(QmpClientOptions.Default with { LoggerFactory = log }, null);
        var client = qemu.Client;

        await client.ExecuteAsync("cont", cancellationToken: cancellationToken);
        // RESUME comes before the cont reply, and the client delivers it before the cont task completes.
        Assert.That(client.Events.TryRead(out var resume), Is.True, "RESUME was not delivered before cont completed");
        await client.ExecuteAsync("stop", cancellationToken: cancellationToken);
        var stop = await client.Events.ReadAsync(cancellationToken);

        Assert.That(resume!.Name, Is.EqualTo("RESUME"));
        Assert.That(stop.Name, Is.EqualTo("STOP"));
        Assert.That(stop.Sequence, Is.EqualTo(resume.Sequence + 1));
        Assert.That(stop.Timestamp, Is.GreaterThanOrEqualTo(resume.Timestamp));
        foreach (var @event in new[] { resume, stop })
        {
            Assert.That(@event.Timestamp, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
            Assert.That(@event.Timestamp, Is.EqualTo(WireTimestamp(log, @event.Name)), "the microseconds QEMU sent must be kept");
        }

        var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("paused"));
    }

    [Test]
    public async Task Unknown_command_raises_CommandNotFound(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        Assert.That(
            async () => await qemu.Client.ExecuteAsync("no-such-command", cancellationToken: cancellationToken),
            Throws.TypeOf<QmpErrorException>()
                .With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound")
                .And.Property(nameof(QmpErrorException.Command)).EqualTo("no-such-command"));
        var status = await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"), "the connection survives an error reply");
    }

    [Test]
    public async Task Bad_arguments_raise_GenericError(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        Assert.That(
            async () => await qemu.Client.ExecuteAsync("query-status", new { bogus = 1 }, cancellationToken),
            Throws.TypeOf<QmpErrorException>()
                .With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("GenericError")
                .And.Property(nameof(QmpErrorException.Description)).Contains("bogus"));
    }

    [Test]
    public async Task Query_qmp_schema_of_about_200_KB_in_one_message_parses(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        var schema = await qemu.Client.ExecuteAsync("query-qmp-schema", cancellationToken: cancellationToken);

        Assert.That(schema.ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(schema.GetRawText(), Has.Length.GreaterThan(100_000));
        var commands = schema.EnumerateArray().Where(e => e.GetProperty("meta-type").GetString() == "command").ToList();
        Assert.That(commands, Has.Count.GreaterThan(150));
        Assert.That(commands.Select(c => c.GetProperty("name").GetString()), Does.Contain("query-status"));
    }

    [Test]
    public async Task A_pretty_printing_monitor_works_the_same(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var directory = QemuFixture.CreatePrivateDirectory();
        try
        {
            var socket = Path.Combine(directory, "pretty.sock");
            await using var qemu = await QemuFixture.StartAsync(
                null,
                QmpEndpoint.Unix(socket),
                "-chardev", $"socket,id=m,path={socket},server=on,wait=off",
                "-mon", "chardev=m,mode=control,pretty=on");
            var client = qemu.Client;
            Assert.That(qemu.SocketDirectory, Is.Null, "the caller's own monitor needs no directory of QemuProcess");

            var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
            await client.ExecuteAsync("cont", cancellationToken: cancellationToken);
            Assert.That(client.Events.TryRead(out var resume), Is.True);
            Assert.That(resume!.Name, Is.EqualTo("RESUME"));
            Assert.That(
                async () => await client.ExecuteAsync("no-such-command", cancellationToken: cancellationToken),
                Throws.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound"));
            var schema = await client.ExecuteAsync("query-qmp-schema", cancellationToken: cancellationToken);
            Assert.That(schema.GetArrayLength(), Is.GreaterThan(500));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task A_monitor_on_TCP_works(CancellationToken cancellationToken)
    {
        var port = QemuFixture.FreeTcpPort();
        await using var qemu = await QemuFixture.StartAsync(
            null,
            QmpEndpoint.Tcp("127.0.0.1", port),
            "-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off");

        var status = await qemu.Client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        Assert.That(qemu.Client.Endpoint, Is.EqualTo(QmpEndpoint.Tcp("127.0.0.1", port)));
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        Assert.That(qemu.Client.NegotiatedCapabilities, Is.EqualTo(new[] { "oob" }));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_thousand_commands_from_eight_concurrent_callers_each_get_their_own_answer(bool enableOob, CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync(QmpClientOptions.Default with { EnableOob = enableOob }, null);
        var client = qemu.Client;
        Assert.That(client.NegotiatedCapabilities, enableOob ? Does.Contain("oob") : Is.Empty);
        const int callers = 8;
        const int perCaller = 125;

        // HMP's "p N" answers with N in hex, so every answer names the request it belongs to. Each caller issues its
        // commands in a burst without waiting, so the client's queue holds far more than QEMU's 8-command read-ahead.
        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(
            async () =>
            {
                var tasks = new List<(int Value, Task<JsonElement> Reply)>(perCaller);
                for (var i = 0; i < perCaller; i++)
                {
                    var value = (caller * 1000) + i + 1;
                    tasks.Add((value, client.ExecuteAsync("human-monitor-command", new { CommandLine = $"p {value}" }, cancellationToken)));
                }

                var mismatches = new List<string>();
                foreach (var (value, reply) in tasks)
                {
                    var text = (await reply).GetString();
                    var expected = string.Create(CultureInfo.InvariantCulture, $"0x{value:x}\r\n");
                    if (text != expected)
                    {
                        mismatches.Add($"p {value} answered {text}");
                    }
                }

                return mismatches;
            },
            cancellationToken)));

        Assert.That(results.SelectMany(r => r), Is.Empty);
        Assert.That(client.State, Is.EqualTo(QmpState.Idle));
    }

    [Test]
    public async Task Oob_query_yank_answers_while_in_band_commands_are_queued(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var client = qemu.Client;
        var inBand = Enumerable.Range(0, 400).Select(_ => client.ExecuteAsync("query-status", cancellationToken: cancellationToken)).ToList();

        var yank = await client.ExecuteOobAsync("query-yank", cancellationToken: cancellationToken);
        var stillPending = inBand.Count(t => !t.IsCompleted);

        Assert.That(yank.ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(stillPending, Is.GreaterThan(0), "the out-of-band answer should overtake the queued in-band commands");
        await Task.WhenAll(inBand);
        Assert.That(inBand.Select(t => t.Result.GetProperty("status").GetString()), Is.All.EqualTo("prelaunch"));
    }

    [Test]
    public async Task Oob_execution_of_an_in_band_only_command_fails_with_QEMUs_GenericError(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();

        Assert.That(
            async () => await qemu.Client.ExecuteOobAsync("query-status", cancellationToken: cancellationToken),
            Throws.TypeOf<QmpErrorException>()
                .With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("GenericError")
                .And.Property(nameof(QmpErrorException.Description)).Contains("does not support OOB"));
    }

    [Test]
    public async Task Quit_gives_SHUTDOWN_a_graceful_completion_and_an_exited_process(CancellationToken cancellationToken)
    {
        await using var qemu = await QemuFixture.StartAsync();
        var client = qemu.Client;
        var shutdown = client.WaitForEventAsync("SHUTDOWN", cancellationToken: cancellationToken);

        await client.ExecuteAsync("quit", cancellationToken: cancellationToken);

        var @event = await shutdown;
        Assert.That(@event.Data.GetProperty("reason").GetString(), Is.EqualTo("host-qmp-quit"));
        await client.Completion.WaitAsync(cancellationToken);
        Assert.That(client.Completion.IsCompletedSuccessfully, Is.True);
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        Assert.That(await qemu.Exited.WaitAsync(cancellationToken), Is.Zero);
        Assert.That(qemu.HasExited, Is.True);
        Assert.That(await qemu.StopAsync(TimeSpan.FromSeconds(1), cancellationToken), Is.EqualTo(QemuStopMethod.AlreadyExited));
    }

    private static DateTimeOffset WireTimestamp(WireLog log, string eventName)
    {
        var line = log.Messages.First(m => m.StartsWith("QMP << ", StringComparison.Ordinal) && m.Contains('"' + eventName + '"', StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line["QMP << ".Length..]);
        var timestamp = json.RootElement.GetProperty("timestamp");
        var seconds = timestamp.GetProperty("seconds").GetInt64();
        var microseconds = timestamp.GetProperty("microseconds").GetInt64();
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(microseconds * 10);
    }

    [GeneratedRegex(@"QEMU emulator version (\d+)\.(\d+)\.(\d+)(?: \((.*)\))?")]
    private static partial Regex VersionLine();
}
