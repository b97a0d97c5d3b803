using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Qmp.Net.Migration;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>Postcopy pause and recovery between two real QEMUs: the migration channel is cut in postcopy (a loopback
/// proxy closed under it), both ends go to postcopy-paused, and <see cref="QmpMigration.RecoverPostcopyAsync"/>
/// (<c>migrate-recover</c> out of band on the destination, <c>migrate resume=true</c> on the source) brings it to
/// completed; then once more with <see cref="QmpMigration.PausePostcopyAsync"/> (<c>migrate-pause</c>).</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(120_000)]
public sealed class PostcopyRecoveryTests(QemuGeneration generation)
{
    // 128 MiB of guest RAM at 256 KB/s: it stays in precopy, then in postcopy, long enough to be cut.
    private static readonly string[] s_machine = ["-machine", "pc-i440fx-7.2", "-m", "128", "-nodefaults", "-display", "none"];

    [Test]
    public async Task A_postcopy_migration_whose_channel_breaks_pauses_on_both_ends_and_recovers_to_completion()
    {
        await using var vm = new WorkflowQemu(generation);
        var source = await vm.StartAsync(s_machine);
        var destination = await vm.StartAsync([.. s_machine, "-incoming", "defer"]);
        var destinationPort = FreePort();
        var throttled = new QmpMigrationOptions
        {
            PostcopyRam = true,
            MaxBandwidth = 256_000,
            Parameters = new JsonObject { ["max-postcopy-bandwidth"] = 256_000 },
        };

        await using var incoming = await QmpMigration.StartIncomingAsync(destination.Client, $"tcp:127.0.0.1:{destinationPort}", new QmpMigrationOptions { PostcopyRam = true });
        await using var proxy = new CuttableProxy(destinationPort);
        await using var outgoing = await QmpMigration.StartAsync(source.Client, $"tcp:127.0.0.1:{proxy.Port}", throttled);
        await outgoing.WaitForStatusAsync(QmpMigrationStatus.Active);
        await outgoing.StartPostcopyAsync();
        await outgoing.WaitForStatusAsync(QmpMigrationStatus.PostcopyActive);
        await incoming.WaitForStatusAsync(QmpMigrationStatus.PostcopyActive);

        // The destination reports postcopy-active when it starts listening for pages, before it has loaded the device
        // state; a channel cut before it runs the VM fails the destination instead of pausing it. Wait for the VM to run.
        Assert.That(await MigrationTests.WaitForRunStateAsync(destination.Client, "running"), Is.EqualTo("running"));

        // The network fails: both ends pause instead of failing (the destination already runs the VM).
        proxy.Cut();
        await outgoing.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused);
        await incoming.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused);
        Assert.That(outgoing.Completion.IsCompleted || incoming.Completion.IsCompleted, Is.False, "paused, not failed");

        var recoverUri = "unix:" + Path.Combine(vm.Directory, "recover1.sock");
        await incoming.RecoverPostcopyAsync(recoverUri);
        await outgoing.RecoverPostcopyAsync(recoverUri);
        await outgoing.WaitForStatusAsync(QmpMigrationStatus.PostcopyActive);

        // Paused on purpose this time, and recovered over another socket.
        await outgoing.PausePostcopyAsync();
        await outgoing.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused);
        await incoming.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused);
        var secondUri = "unix:" + Path.Combine(vm.Directory, "recover2.sock");
        await incoming.RecoverPostcopyAsync(secondUri);
        await outgoing.RecoverPostcopyAsync(secondUri);

        await source.Client.ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-postcopy-bandwidth"] = 0, ["max-bandwidth"] = 0 });
        Assert.That(await outgoing.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(await MigrationTests.WaitForRunStateAsync(destination.Client, "running"), Is.EqualTo("running"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A loopback TCP proxy for one connection, whose <see cref="Cut"/> closes both sides at once.</summary>
    private sealed class CuttableProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly int _target;
        private readonly Task _run;
        private readonly CancellationTokenSource _stop = new();
        private Socket? _inbound;
        private Socket? _outbound;

        public CuttableProxy(int target)
        {
            _target = target;
            _listener.Start();
            _run = RunAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public void Cut()
        {
            _inbound?.Dispose();
            _outbound?.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            Cut();
            try
            {
                await _run;
            }
            catch (Exception)
            {
                // Cut or stopped.
            }

            _stop.Dispose();
        }

        private async Task RunAsync()
        {
            _inbound = await _listener.AcceptSocketAsync(_stop.Token);
            _outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await _outbound.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _target), _stop.Token);
            await Task.WhenAll(PumpAsync(_inbound, _outbound), PumpAsync(_outbound, _inbound));
        }

        private async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception)
            {
                // Cut.
            }

            Cut();
        }
    }
}
