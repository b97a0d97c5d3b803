using System.Text.Json;
using Qmp.Net;
using Qmp.Net.Introspection;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;
using Qmp.Net.Qga;

namespace Snippets;

/// <summary>The snippets of docs/introspection.md, docs/guest-agent.md and docs/qapi.md. Those that a test can run, run
/// against a real QEMU; the others (a guest agent in a VM, a block job) are compiled, so a renamed member breaks the build.</summary>
[CancelAfter(60_000)]
public sealed class GuideSnippets
{
    [Test]
    public async Task The_connected_servers_schema()
    {
        Qemu.Require();
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"] });
        var client = qemu.Client;
        using var document = JsonDocument.Parse("""{"driver":"nul-co","node-name":"n0"}""");
        var arguments = document.RootElement;
        var lines = new List<string>();

        #region schema
        var schema = await client.GetSchemaAsync();                 // query-qmp-schema once per client, then cached

        if (schema.Has("blockdev-add/arg-type/+file/drop-cache"))     // a feature query, as libvirt asks them
            Console.WriteLine("this QEMU can drop the page cache of file nodes");

        foreach (var error in schema.Validate("blockdev-add", arguments))
            lines.Add($"{error.Path}: {error.Message}");            // "driver: 'nul-co' is not one of [...]. Did you mean 'null-co'?"
        #endregion

        Assert.That(lines.Single(), Does.StartWith("driver: 'nul-co' is not one of").And.Contain("Did you mean 'null-co'?"));
    }

    /// <summary>Compiled, not run: it needs a VM with an agent, and it shuts that VM's guest down.</summary>
    internal static async Task GuestAgentAsync()
    {
        #region guest-agent
        await using var agent = await QgaClient.ConnectAsync(QmpEndpoint.Unix("/run/vm1/qga.sock"));
        var host = await agent.ExecuteAsync("guest-get-host-name");          // {"host-name":"vm1"}
        await agent.FireAsync("guest-shutdown", new Dictionary<string, object> { ["mode"] = "powerdown" });
        #endregion
        _ = host;
    }

    /// <summary>Compiled, not run: the tests of Qmp.Net.Qapi run these flows against QEMU 7.2 and 10.0.</summary>
    internal static async Task TypedAsync(QmpEndpoint endpoint)
    {
        #region typed
        await using var client = await QmpClient.ConnectAsync(endpoint);
        StatusInfo status = await client.Commands.QueryStatusAsync();
        if (status.Status == RunState.Paused) await client.Commands.ContAsync();

        await client.Commands.BlockdevAddAsync(new BlockdevOptions.Qcow2Branch
        {
            NodeName = "disk0",
            File = new BlockdevOptions.FileBranch { Filename = "/var/lib/vm/disk0.qcow2" },   // BlockdevRef: an alternate
        });

        await foreach (var e in client.Events)
            switch (e.Decode())                                   // never throws
            {
                case ShutdownEvent s: Console.WriteLine(s.Reason); break;   // ShutdownCause, an open enum
                case UnknownQapiEvent u: Console.WriteLine(u.Event.Name); break;
            }

        var ready = await client.WaitForEventAsync<BlockJobReadyEvent>(r => r.Device == "job0");
        #endregion
        _ = ready;
    }
}
