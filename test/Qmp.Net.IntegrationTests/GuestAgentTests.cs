using System.Diagnostics;
using System.Text.Json;
using Qmp.Net.Qga;

namespace Qmp.Net.IntegrationTests;

/// <summary>The guest agent client against a real <c>qemu-ga</c> running on this host in <c>unix-listen</c> mode, with
/// every command that could change the machine blocked (<c>-b</c>), so the tests only read.</summary>
[CancelAfter(60_000)]
public sealed class GuestAgentTests
{
    /// <summary>The commands the tests may run; qemu-ga is started with every other command it knows blocked.</summary>
    private static readonly string[] s_allowed =
    [
        "guest-sync-delimited", "guest-sync", "guest-ping", "guest-info", "guest-get-osinfo", "guest-get-host-name",
        "guest-get-time", "guest-get-timezone",
    ];

    [Test]
    public async Task Guest_info_reports_the_agents_own_version(CancellationToken cancellationToken)
    {
        await using var agent = await RealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        var info = await client.ExecuteAsync("guest-info", cancellationToken: cancellationToken);
        var printed = await QemuFixture.RunAsync(RealAgent.Binary, "--version");

        Assert.That(printed, Does.Contain(info.GetProperty("version").GetString()));
        var commands = info.GetProperty("supported_commands").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("enabled").GetBoolean());
        Assert.That(commands["guest-shutdown"], Is.False, "the tests' agent must not be able to shut the host down");
        Assert.That(commands["guest-info"], Is.True);
    }

    [Test]
    public async Task Host_name_and_os_info_are_this_machines(CancellationToken cancellationToken)
    {
        await using var agent = await RealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        var hostName = await client.ExecuteAsync("guest-get-host-name", cancellationToken: cancellationToken);
        var osInfo = await client.ExecuteAsync("guest-get-osinfo", cancellationToken: cancellationToken);

        Assert.That(hostName.GetProperty("host-name").GetString(), Is.EqualTo(System.Net.Dns.GetHostName()));
        Assert.That(osInfo.GetProperty("kernel-release").GetString(), Is.EqualTo(Environment.OSVersion.Version.ToString(3)).Or.StartsWith(Environment.OSVersion.Version.ToString(2)));
    }

    [Test]
    public async Task A_blocked_command_is_refused_with_its_error_class(CancellationToken cancellationToken)
    {
        await using var agent = await RealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        Assert.That(async () => await client.ExecuteAsync("guest-exec", new Dictionary<string, object> { ["path"] = "/bin/true" }, cancellationToken),
            Throws.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound"));
        Assert.That((await client.ExecuteAsync("guest-ping", cancellationToken: cancellationToken)).ValueKind, Is.EqualTo(JsonValueKind.Object));
    }

    [Test]
    public async Task Many_callers_at_once_all_get_their_own_answers(CancellationToken cancellationToken)
    {
        await using var agent = await RealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        var tasks = Enumerable.Range(0, 50).Select(i => i % 2 == 0
            ? client.ExecuteAsync("guest-get-host-name", cancellationToken: cancellationToken)
            : client.ExecuteAsync("guest-get-timezone", cancellationToken: cancellationToken)).ToList();
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.That(results[i].TryGetProperty(i % 2 == 0 ? "host-name" : "offset", out _), Is.True, $"answer {i}: {results[i]}");
        }
    }

    [Test]
    public async Task The_agent_killed_mid_command_fails_the_command_promptly(CancellationToken cancellationToken)
    {
        await using var agent = await RealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { CommandTimeout = TimeSpan.FromSeconds(30) }, cancellationToken);
        await client.SyncAsync(cancellationToken);

        // Stopped, the agent cannot answer; killed, its socket closes: the command must end with the close, not the timeout.
        agent.Signal(Signal.Stop);
        var info = client.ExecuteAsync("guest-info", cancellationToken: cancellationToken);
        var watch = Stopwatch.StartNew();
        agent.Signal(Signal.Kill);

        // The agent dies with the command unread, so the kernel resets the connection: a read failure, not a timeout.
        Assert.That(async () => await info, Throws.TypeOf<QmpCommunicationException>()
            .With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.ReadFailed)
            .Or.TypeOf<QmpConnectionClosedException>());
        Assert.That(client.IsConnected, Is.False);
        Assert.That(async () => await client.ExecuteAsync("guest-ping", cancellationToken: cancellationToken), Throws.TypeOf<QmpConnectionClosedException>());
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "ended by the close, not by the 30 s timeout");
    }

    [Test]
    public async Task A_stopped_agent_times_out_and_after_it_resumes_the_next_command_gets_its_own_reply(CancellationToken cancellationToken)
    {
        await using var agent = await RealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { CommandTimeout = TimeSpan.FromMilliseconds(300) }, cancellationToken);
        await client.SyncAsync(cancellationToken);

        agent.Signal(Signal.Stop);
        Assert.That(async () => await client.ExecuteAsync("guest-get-timezone", cancellationToken: cancellationToken), Throws.TypeOf<QgaTimeoutException>());
        agent.Signal(Signal.Continue);

        // The resumed agent answers the abandoned guest-get-timezone first; the resync must discard it.
        var hostName = await client.ExecuteAsync("guest-get-host-name", cancellationToken: cancellationToken);
        Assert.That(hostName.TryGetProperty("host-name", out _), Is.True, hostName.ToString());
    }

    private enum Signal
    {
        Stop = 19,
        Continue = 18,
        Kill = 9,
    }

    /// <summary>A qemu-ga on a private socket, with every command but <see cref="s_allowed"/> blocked.</summary>
    private sealed class RealAgent : IAsyncDisposable
    {
        public const string Binary = "qemu-ga";

        private readonly Process _process;
        private readonly string _directory;

        private RealAgent(Process process, string directory)
        {
            _process = process;
            _directory = directory;
        }

        public QmpEndpoint Endpoint => QmpEndpoint.Unix(Path.Combine(_directory, "qga.sock"));

        public static async Task<RealAgent> StartAsync()
        {
            var binary = QemuFixture.Find(Binary);
            if (binary is null)
            {
                var message = "qemu-ga is not installed: install it with 'sudo apt-get install qemu-guest-agent' to run the guest agent tests.";
                if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
                {
                    Assert.Fail(message + " (QMP_REQUIRE_QEMU=1 makes a missing agent a failure.)");
                }

                Assert.Ignore(message);
            }

            var known = (await QemuFixture.RunAsync(binary!, "-b", "help"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var blocked = known.Where(c => c.StartsWith("guest-", StringComparison.Ordinal) && !s_allowed.Contains(c)).ToList();
            Assert.That(blocked, Does.Contain("guest-shutdown").And.Contain("guest-exec"), "qemu-ga -b help did not list its commands");

            var directory = Directory.CreateTempSubdirectory("qga-").FullName;
            var socket = Path.Combine(directory, "qga.sock");
            var start = new ProcessStartInfo(binary!) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-m", "unix-listen", "-p", socket, "-t", directory, "-f", Path.Combine(directory, "qga.pid"), "-b", string.Join(',', blocked) })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start)!;
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var agent = new RealAgent(process, directory);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            // The socket file exists once qemu-ga has bound it; a connect is refused until it listens.
            while (!File.Exists(socket) || !QemuFixture.IsListening(socket))
            {
                if (process.HasExited)
                {
                    await agent.DisposeAsync();
                    Assert.Fail($"qemu-ga exited with code {process.ExitCode} before creating its socket");
                }

                await Task.Delay(20, bound.Token);
            }

            return agent;
        }

        public void Signal(Signal signal)
        {
            if (kill(_process.Id, (int)signal) != 0)
            {
                throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int signal);
    }
}
