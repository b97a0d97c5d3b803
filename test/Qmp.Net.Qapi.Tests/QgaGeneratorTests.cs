using Qmp.Net.Qapi.Qga;
using Qmp.Net.Qapi.Tests.Support;
using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests;

/// <summary>The guest agent part of the generator: its superset of qemu-ga 7.2 and 10.0, the commands without a success
/// response, and the committed <c>Generated/Qga</c> files.</summary>
public sealed class QgaGeneratorTests
{
    private static readonly Lazy<Superset> s_set = new(() => AgentGenerator.Load(RepositoryPaths.Schemas)!);

    [Test]
    public void The_superset_holds_the_commands_of_both_agents()
    {
        var set = s_set.Value;
        var names = set.Commands.Select(c => c.Name).ToList();

        Assert.That(set.Versions, Is.EqualTo(new[] { "10.0", "7.2" }));
        Assert.That(names, Does.Contain("guest-info").And.Contain("guest-get-osinfo").And.Contain("guest-exec"));
        Assert.That(names, Does.Contain("guest-get-load"), "a command of the 10.0 agent only");
        Assert.That(set.Events, Is.Empty);
        TestContext.Out.WriteLine($"guest agent superset: {set.Commands.Count} commands, {set.Types.Values.Count(t => !t.IsSynthetic)} types, {set.Types.Values.Count(t => t.Name.StartsWith(":args:", StringComparison.Ordinal))} argument records");
    }

    [TestCase(nameof(QgaCommands.GuestShutdownAsync), "guest-shutdown")]
    [TestCase(nameof(QgaCommands.GuestSuspendDiskAsync), "guest-suspend-disk")]
    [TestCase(nameof(QgaCommands.GuestSuspendRamAsync), "guest-suspend-ram")]
    [TestCase(nameof(QgaCommands.GuestSuspendHybridAsync), "guest-suspend-hybrid")]
    public void A_command_without_a_success_response_is_fired_and_returns_a_plain_task(string method, string command)
    {
        var source = File.ReadAllText(Path.Combine(RepositoryPaths.Generated, AgentGenerator.Folder, "QapiSchema", "QgaCommands.QapiSchema.cs"));

        Assert.That(s_set.Value.Commands.Single(c => c.Name == command).PerVersion.Values.All(d => !d.SuccessResponse), Is.True);
        Assert.That(typeof(QgaCommands).GetMethod(method)!.ReturnType, Is.EqualTo(typeof(Task)));
        Assert.That(source, Does.Match($@"FireAsync(<\w+>)?\(""{command}"""));
    }

    [Test]
    public void Commands_with_a_reply_wait_for_it()
    {
        var source = File.ReadAllText(Path.Combine(RepositoryPaths.Generated, AgentGenerator.Folder, "QapiSchema", "QgaCommands.QapiSchema.cs"));

        Assert.That(typeof(QgaCommands).GetMethod(nameof(QgaCommands.GuestGetOsinfoAsync))!.ReturnType, Is.EqualTo(typeof(Task<GuestOSInfo>)));
        Assert.That(source, Does.Contain("ExecuteVoidAsync(\"guest-ping\", cancellationToken)"));
        Assert.That(source, Does.Contain("ExecuteAsync<GuestOSInfo>(\"guest-get-osinfo\", QapiJson.Read<GuestOSInfo>, cancellationToken)"), "each command passes its result's own reader");
    }
}
