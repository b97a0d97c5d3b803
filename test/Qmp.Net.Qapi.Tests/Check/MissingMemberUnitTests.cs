using System.Text.Json;
using Qmp.Net.Testing;

namespace Qmp.Net.Qapi.Tests.Check;

/// <summary>The typed check refuses arguments that lack a member the connected QEMU requires, naming its path, before
/// anything is sent (against a recorded QEMU 7.2 introspection served by the test server).</summary>
[CancelAfter(30_000)]
public class MissingMemberUnitTests
{
    private static readonly Lazy<JsonElement> s_schema72 = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "query-qmp-schema-7.2.json"))).RootElement.Clone());

    private QmpTestServer _server = null!;
    private QmpClient _client = null!;

    [SetUp]
    public async Task Connect()
    {
        _server = await QmpTestServer.StartAsync();
        _server.Handle("query-qmp-schema", _ => s_schema72.Value);
        _server.Handle("blockdev-mirror", _ => null);
        _server.Handle("blockdev-add", _ => null);
        _client = await QmpClient.ConnectAsync(_server.Endpoint);
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public void A_mandatory_enum_left_at_its_default_is_refused_with_its_path()
    {
        var e = Assert.ThrowsAsync<QapiUnsupportedException>(() =>
            _client.Commands.BlockdevMirrorAsync(new BlockdevMirrorArguments { Device = "d0", Target = "t0", Sync = default }));

        Assert.That(e!.Member, Is.EqualTo("sync"));
        Assert.That(e.Message, Does.Contain("'sync'").And.Contain("blockdev-mirror"));
        Assert.That(_server.Commands.Select(c => c.Name), Does.Not.Contain("blockdev-mirror"), "nothing was sent");
    }

    [Test]
    public void A_mandatory_member_of_a_union_branch_set_to_null_is_refused_with_its_path()
    {
        var e = Assert.ThrowsAsync<QapiUnsupportedException>(() =>
            _client.Commands.BlockdevAddAsync(new BlockdevOptions.Qcow2Branch { NodeName = "q0", File = null! }));

        Assert.That(e!.Member, Is.EqualTo("file"));
        Assert.That(_server.Commands.Select(c => c.Name), Does.Not.Contain("blockdev-add"), "nothing was sent");
    }

    [Test]
    public async Task Complete_arguments_are_sent()
    {
        await _client.Commands.BlockdevMirrorAsync(new BlockdevMirrorArguments { Device = "d0", Target = "t0", Sync = MirrorSyncMode.Full });

        Assert.That(_server.Commands.Select(c => c.Name), Does.Contain("blockdev-mirror"));
    }
}
