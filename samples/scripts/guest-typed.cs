#:project ../../src/Qmp.Net.Qapi/Qmp.Net.Qapi.csproj
// The guest agent with typed commands (Qmp.Net.Qapi.Qga, generated from qemu-ga's QAPI schema): what the agent
// supports, the guest's OS, host name, time and time zone.
// Usage: dotnet run samples/scripts/guest-typed.cs -- unix:/path/to/qga.sock
using Qmp.Net;
using Qmp.Net.Qapi.Qga;
using Qmp.Net.Qga;

if (args.Length != 1 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/guest-typed.cs -- unix:/path/to/qga.sock");
    return 2;
}

#region typed-agent
await using var agent = await QgaClient.ConnectAsync(endpoint, QgaClientOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(5) });
GuestAgentInfo info = await agent.Commands.GuestInfoAsync();
GuestOSInfo os = await agent.Commands.GuestGetOsinfoAsync();
GuestHostName host = await agent.Commands.GuestGetHostNameAsync();
long nanoseconds = await agent.Commands.GuestGetTimeAsync();
GuestTimezone zone = await agent.Commands.GuestGetTimezoneAsync();
Console.WriteLine($"agent:    qemu-ga {info.Version}, {info.SupportedCommands.Count(c => c.Enabled)} of {info.SupportedCommands.Count} commands enabled");
Console.WriteLine($"host:     {host.HostName}");
Console.WriteLine($"os:       {os.PrettyName ?? os.Name ?? "(unknown)"}, kernel {os.KernelRelease} ({os.Machine})");
Console.WriteLine($"time:     {DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100):O}");
Console.WriteLine($"timezone: {zone.Zone ?? "(unnamed)"}, UTC{(zone.Offset < 0 ? "-" : "+")}{TimeSpan.FromSeconds(Math.Abs(zone.Offset)):hh\\:mm}");
#endregion
return 0;
