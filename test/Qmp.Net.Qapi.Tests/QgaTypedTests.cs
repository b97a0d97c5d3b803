using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Qapi.Qga;
using Qmp.Net.Qapi.Tests.Support;
using Qmp.Net.Qga;

namespace Qmp.Net.Qapi.Tests;

/// <summary>The generated guest agent commands (<c>agent.Commands</c>) against the real <c>qemu-ga</c> of this host
/// (Debian's, QEMU 7.2), with everything but read-only commands blocked.</summary>
[CancelAfter(60_000)]
[Category("RealQemu")]
public sealed class QgaTypedTests
{
    [Test]
    public async Task Guest_info_is_typed_and_lists_the_supported_commands(CancellationToken cancellationToken)
    {
        await using var agent = await QgaRealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        var info = await client.Commands.GuestInfoAsync(cancellationToken);
        var printed = await QgaRealAgent.RunAsync(agent.Binary, "--version");

        TestContext.Out.WriteLine($"qemu-ga {info.Version}: {info.SupportedCommands.Count} commands, {info.SupportedCommands.Count(c => c.Enabled)} enabled");
        Assert.That(printed, Does.Contain(info.Version));
        var byName = info.SupportedCommands.ToDictionary(c => c.Name);
        Assert.That(byName["guest-info"].Enabled, Is.True);
        Assert.That(byName["guest-info"].SuccessResponse, Is.True);
        Assert.That(byName["guest-shutdown"].Enabled, Is.False, "the tests' agent must not be able to shut the host down");
        Assert.That(byName["guest-shutdown"].SuccessResponse, Is.False);
        Assert.That(info.SupportedCommands.Where(c => c.Enabled).Select(c => c.Name), Is.SubsetOf(QgaRealAgent.Allowed));
    }

    [Test]
    public async Task Os_info_host_name_and_time_are_this_machines(CancellationToken cancellationToken)
    {
        await using var agent = await QgaRealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        var os = await client.Commands.GuestGetOsinfoAsync(cancellationToken);
        var host = await client.Commands.GuestGetHostNameAsync(cancellationToken);
        var before = DateTimeOffset.UtcNow;
        var nanoseconds = await client.Commands.GuestGetTimeAsync(cancellationToken);
        var after = DateTimeOffset.UtcNow;

        Assert.That(os.KernelRelease, Is.EqualTo(Environment.OSVersion.Version.ToString(3)).Or.StartsWith(Environment.OSVersion.Version.ToString(2)));
        Assert.That(os.Machine, Is.EqualTo("x86_64"));
        Assert.That(host.HostName, Is.EqualTo(System.Net.Dns.GetHostName()));
        var agentTime = DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100);
        Assert.That(agentTime, Is.InRange(before.AddSeconds(-1), after.AddSeconds(1)), "guest-get-time is nanoseconds since the epoch");
    }

    [Test]
    public async Task A_blocked_command_fails_typed_with_CommandNotFound_and_the_next_one_works(CancellationToken cancellationToken)
    {
        await using var agent = await QgaRealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        Assert.That(
            async () => await client.Commands.GuestExecAsync(new GuestExecArguments { Path = "/bin/true" }, cancellationToken),
            Throws.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.ErrorClass)).EqualTo("CommandNotFound")
                .And.Property(nameof(QmpErrorException.Command)).EqualTo("guest-exec"));
        Assert.That((await client.Commands.GuestGetTimezoneAsync(cancellationToken)).Offset, Is.EqualTo((long)TimeZoneInfo.Local.GetUtcOffset(DateTime.Now).TotalSeconds));
    }

    [Test]
    public async Task A_command_without_a_success_response_is_fired_and_the_next_command_resynchronises(CancellationToken cancellationToken)
    {
        await using var agent = await QgaRealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, new QgaClientOptions { CommandTimeout = TimeSpan.FromSeconds(20) }, cancellationToken);
        await client.Commands.GuestPingAsync(cancellationToken);

        // guest-shutdown is blocked here, so the agent answers it with an error that nobody waits for: the typed method
        // completes once the command is written, and the error must not reach the next command.
        await client.Commands.GuestShutdownAsync(new GuestShutdownArguments { Mode = "powerdown" }, cancellationToken);
        await client.Commands.GuestSuspendRamAsync(cancellationToken);
        var host = await client.Commands.GuestGetHostNameAsync(cancellationToken);

        Assert.That(host.HostName, Is.EqualTo(System.Net.Dns.GetHostName()));
        Assert.That(typeof(QgaCommands).GetMethod(nameof(QgaCommands.GuestShutdownAsync))!.ReturnType, Is.EqualTo(typeof(Task)));
    }

    [Test]
    public async Task Every_command_the_real_agent_lists_is_typed(CancellationToken cancellationToken)
    {
        await using var agent = await QgaRealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);

        var listed = (await client.Commands.GuestInfoAsync(cancellationToken)).SupportedCommands.Select(c => c.Name).ToList();
        var generated = QapiGen.AgentGenerator.Load(RepositoryPaths.Schemas)!.Commands.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var methods = typeof(QgaCommands).GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);

        TestContext.Out.WriteLine($"qemu-ga lists {listed.Count} commands; {generated.Count} are generated");
        Assert.That(listed, Has.Count.GreaterThan(30));
        Assert.That(listed.Where(c => !generated.Contains(c)), Is.Empty, "listed by qemu-ga, not in the generated superset");
        Assert.That(listed.Where(c => !methods.Contains(QapiGen.Naming.Pascal(c) + "Async")), Is.Empty, "listed by qemu-ga, no QgaCommands method");
    }

    [Test]
    public async Task Read_only_replies_decode_typed_and_serialize_back_to_the_raw_reply(CancellationToken cancellationToken)
    {
        await using var agent = await QgaRealAgent.StartAsync();
        await using var client = await QgaClient.ConnectAsync(agent.Endpoint, cancellationToken: cancellationToken);
        var commands = new (string Name, Type Type)[]
        {
            ("guest-info", typeof(GuestAgentInfo)), ("guest-get-osinfo", typeof(GuestOSInfo)), ("guest-get-host-name", typeof(GuestHostName)),
            ("guest-get-timezone", typeof(GuestTimezone)), ("guest-get-users", typeof(IReadOnlyList<GuestUser>)),
            ("guest-get-vcpus", typeof(IReadOnlyList<GuestLogicalProcessor>)), ("guest-network-get-interfaces", typeof(IReadOnlyList<GuestNetworkInterface>)),
            ("guest-fsfreeze-status", typeof(GuestFsfreezeStatus)), ("guest-get-diskstats", typeof(IReadOnlyList<GuestDiskStatsInfo>)),
            ("guest-get-cpustats", typeof(IReadOnlyList<GuestCpuStats>)), ("guest-get-memory-block-info", typeof(GuestMemoryBlockInfo)),
        };
        var exact = new List<string>();
        var failed = new List<string>();
        var refused = new List<string>();
        foreach (var (name, type) in commands)
        {
            JsonElement raw;
            try
            {
                raw = await client.ExecuteAsync(name, cancellationToken: cancellationToken);
            }
            catch (QmpErrorException e)
            {
                refused.Add($"{name}: {e.ErrorClass}");
                continue;
            }

            var info = QapiTypeInfo.For(type);
            var back = JsonSerializer.SerializeToNode(raw.Deserialize(info), info);
            var diffs = JsonDiff.Compare(JsonNode.Parse(raw.GetRawText()), back);
            (diffs.Count == 0 ? exact : failed).Add(diffs.Count == 0 ? name : $"{name}: {string.Join("; ", diffs.Take(5))}");
        }

        TestContext.Out.WriteLine($"{exact.Count} replies round-trip exactly ({string.Join(", ", exact)}); the agent refused {refused.Count} ({string.Join(", ", refused)})");
        Assert.That(failed, Is.Empty);
        Assert.That(exact, Has.Count.GreaterThanOrEqualTo(8));
    }
}
