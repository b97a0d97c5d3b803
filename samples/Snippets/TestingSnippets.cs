using Qmp.Net;
using Qmp.Net.Testing;

namespace Snippets;

/// <summary>The snippets of docs/testing.md.</summary>
[CancelAfter(30_000)]
public sealed class TestingSnippets
{
    [Test]
    public async Task A_scripted_server_answers_the_code_under_test()
    {
        var myVmManager = new VmManager();
        #region scripted
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", args => new { status = "running", running = true });
        server.Handle("cont", async (request, ct) =>
        {
            await server.EmitEventAsync("RESUME", cancellationToken: ct); // goes out before the reply, as QEMU does
            return null;                                                  // {"return": {}}
        });
        server.HandleError("device_del", "DeviceNotFound", "Device 'nic0' not found");

        await using var client = await QmpClient.ConnectAsync(server.Endpoint);
        await myVmManager.ResumeAsync(client);

        var cont = await server.WaitForCommandAsync("cont");   // await the command instead of sleeping
        Assert.That(cont.Arguments.EnumerateObject(), Is.Empty);
        #endregion

        var error = Assert.ThrowsAsync<QmpErrorException>(() => client.ExecuteAsync("device_del", new { id = "nic0" }));
        Assert.That(error!.ErrorClass, Is.EqualTo("DeviceNotFound"));
    }

    [Test]
    public async Task The_QemuLike_profile_answers_like_QEMU()
    {
        #region qemu-like
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await QmpClient.ConnectAsync(server.Endpoint);

        await client.ExecuteAsync("cont");                 // RESUME arrives before the reply
        client.Events.TryRead(out var resume);             // resume.Name == "RESUME"
        Assert.That(server.RunState, Is.EqualTo("running"));
        #endregion

        Assert.That(resume?.Name, Is.EqualTo("RESUME"));
    }

    /// <summary>The code under test of the first snippet: something that manages a VM through a <see cref="QmpClient"/>.</summary>
    private sealed class VmManager
    {
        public async Task ResumeAsync(QmpClient client)
        {
            var resumed = client.WaitForEventAsync("RESUME");
            await client.ExecuteAsync("cont");
            await resumed;
        }
    }
}
