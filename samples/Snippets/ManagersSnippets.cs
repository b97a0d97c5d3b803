using Qmp.Net;
using Qmp.Net.Fleet;
using Qmp.Net.Qemu;
using Qmp.Net.Sessions;

namespace Snippets;

/// <summary>The C# of docs/managers.md. Compiled, not run here: the paths are a manager's own (/run/mymanager/...). What
/// each block does is run end to end by the integration tests the guide names (OwnerLifetimeTests, SessionTests,
/// FleetTests, WireTranscriptTests) and, shortened, by the "many VMs" how-to snippet.</summary>
internal static class ManagersSnippets
{
    internal static async Task DetachedAndAttachAsync()
    {
        #region detached
        // Start once …
        var options = new QemuStartOptions
        {
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
            Lifetime = QemuLifetime.Detached,
            StateDirectory = "/run/mymanager/vms/vm1",
        };
        var vm = await QemuProcess.StartAsync(options);
        await vm.DisposeAsync(); // lets go; QEMU keeps running

        // … and after a restart of the manager:
        var again = await QemuProcess.AttachAsync("/run/mymanager/vms/vm1");
        Console.WriteLine($"{again.ProcessId}: {again.Attachment!.Status}, jobs {again.Attachment.Jobs}");
        await again.StopAsync(TimeSpan.FromSeconds(5)); // quit → SIGTERM → SIGKILL, as if started here
        #endregion
    }

    internal static async Task SessionAsync()
    {
        #region session
        await using var session = QmpSession.ForEndpoint(QmpEndpoint.Unix("/run/mymanager/vms/vm1/qmp.sock"),
            options: QmpSessionOptions.Default with
            {
                OnReconnected = async (client, ct) => await client.ExecuteAsync("query-status", cancellationToken: ct),
            });
        await session.StartAsync();

        _ = Task.Run(async () =>
        {
            await foreach (var item in session.ReadEventsAsync())
            {
                if (item.Gap is { } gap)
                {
                    Console.WriteLine($"lost events between {gap.DisconnectedAt:O} and +{gap.Duration}: {gap.Reason}");
                }
                else
                {
                    Console.WriteLine(item.Event!.Name);
                }
            }
        });

        try
        {
            await session.ExecuteAsync("stop");
        }
        catch (QmpCommandOutcomeUnknownException)
        {
            // The connection dropped while "stop" was in flight: it may or may not have happened. Find out:
            var status = await session.ExecuteAsync("query-status");
        }
        #endregion
    }

    internal static async Task FleetAsync()
    {
        #region fleet
        await using var fleet = new QmpFleet(QmpFleetOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(3), MaxConcurrency = 16 });
        fleet.Add("vm1", QmpEndpoint.Unix("/run/mymanager/vms/vm1/fleet.sock"));
        fleet.Add("vm2", QmpEndpoint.Unix("/run/mymanager/vms/vm2/fleet.sock"));

        foreach (var result in await fleet.FanOutAsync("query-status"))
        {
            Console.WriteLine(result.Succeeded ? $"{result.Name}: {result.Result}" : $"{result.Name}: {result.Error!.Message}");
        }

        await foreach (var tagged in fleet.ReadEventsAsync())
        {
            Console.WriteLine($"{tagged.Name}: {tagged.Event.Name}");
        }
        #endregion
    }

    internal static async Task TranscriptAsync()
    {
        #region transcript
        await using var fleet = new QmpFleet(QmpFleetOptions.Default with
        {
            TranscriptDirectory = "/var/log/mymanager/qmp",
            TranscriptMaxBytes = 8 * 1024 * 1024,
        });
        fleet.Add("vm1", QmpEndpoint.Unix("/run/mymanager/vms/vm1/fleet.sock"));
        Console.WriteLine(fleet.GetTranscriptPath("vm1")); // /var/log/mymanager/qmp/vm1.jsonl
        #endregion
    }
}
