using Qmp.Net.Fleet;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>The fleet against 20 real QEMUs (<c>-machine none</c>), one of them frozen with SIGSTOP.</summary>
[CancelAfter(120_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FleetTests
{
    private const int VmCount = 20;
    private const int SIGSTOP = 19;
    private const int SIGCONT = 18;

    [Test]
    public async Task Twenty_VMs_answer_a_fan_out_a_frozen_one_fails_alone_and_keeps_its_connection(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var vms = await Task.WhenAll(Enumerable.Range(0, VmCount).Select(async i =>
        {
            var qemu = await QemuProcess.StartAsync(new QemuStartOptions
            {
                Binary = QemuFixture.Binary,
                Arguments = [.. QemuFixture.MonitorOnly, "-name", $"vm{i}"],
                ExtraMonitors = ["fleet"],
            }, cancellationToken);
            QemuFixture.Track(qemu);
            return qemu;
        }));
        var frozen = vms[7];
        try
        {
            await using var fleet = new QmpFleet(QmpFleetOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(3), MaxConcurrency = 4 });
            for (var i = 0; i < VmCount; i++)
            {
                fleet.Add($"vm{i}", vms[i].ExtraMonitors["fleet"]);
            }

            var first = await fleet.FanOutAsync("query-name", cancellationToken: cancellationToken);
            Assert.That(first.Select(r => r.Succeeded ? r.Result.GetProperty("name").GetString() : r.Error!.Message), Is.EqualTo(Enumerable.Range(0, VmCount).Select(i => $"vm{i}")));

            Assert.That(kill(frozen.ProcessId, SIGSTOP), Is.Zero);
            var second = await fleet.FanOutAsync("query-status", cancellationToken: cancellationToken);
            Assert.That(kill(frozen.ProcessId, SIGCONT), Is.Zero);

            Assert.Multiple(() =>
            {
                Assert.That(second.Where(r => r.Name != "vm7").Select(r => r.Succeeded), Is.All.True, "the frozen VM holds no other");
                Assert.That(second.Single(r => r.Name == "vm7").Error, Is.TypeOf<QmpCommandTimeoutException>().With.Property("Name").EqualTo("vm7"));
            });

            // Continued, the frozen VM answers on the same connection: the timeout failed one command, not the connection.
            var status = await fleet.ExecuteAsync("vm7", "query-status", cancellationToken: cancellationToken);
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
            Assert.That(fleet.ConnectionsMade("vm7"), Is.EqualTo(1));

            // Events fan in, tagged: every VM's RESUME.
            var resumed = new HashSet<string>();
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            reading.CancelAfter(TimeSpan.FromSeconds(60));
            var reader = Task.Run(async () =>
            {
                await foreach (var tagged in fleet.ReadEventsAsync(reading.Token))
                {
                    if (tagged.Event.Name == "RESUME" && resumed.Add(tagged.Name) && resumed.Count == VmCount)
                    {
                        return;
                    }
                }
            }, cancellationToken);
            var cont = await fleet.FanOutAsync("cont", cancellationToken: cancellationToken);
            await reader;

            Assert.That(cont.Select(r => r.Succeeded), Is.All.True);
            Assert.That(resumed, Is.EquivalentTo(Enumerable.Range(0, VmCount).Select(i => $"vm{i}")));
        }
        finally
        {
            kill(frozen.ProcessId, SIGCONT);
            await Task.WhenAll(vms.Select(vm => vm.DisposeAsync().AsTask()));
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
