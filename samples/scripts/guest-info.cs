#:project ../../src/Qmp.Net/Qmp.Net.csproj
// Asks a VM's guest agent who it is: agent version, host name and operating system.
// Usage: dotnet run samples/scripts/guest-info.cs -- unix:/path/to/qga.sock
// (QEMU: -chardev socket,path=/path/to/qga.sock,server=on,wait=off,id=qga0 -device virtio-serial
//        -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0)
using Qmp.Net;
using Qmp.Net.Qga;

if (args.Length != 1 || !QmpEndpoint.TryParse(args[0], out var endpoint))
{
    Console.Error.WriteLine("usage: dotnet run samples/scripts/guest-info.cs -- unix:/path/to/qga.sock");
    return 2;
}

await using var agent = await QgaClient.ConnectAsync(endpoint, QgaClientOptions.Default with { CommandTimeout = TimeSpan.FromSeconds(5) });
try
{
    var info = await agent.ExecuteAsync("guest-info");
    var host = await agent.ExecuteAsync("guest-get-host-name");
    var os = await agent.ExecuteAsync("guest-get-osinfo");
    Console.WriteLine($"agent:  qemu-ga {info.GetProperty("version").GetString()}");
    Console.WriteLine($"host:   {host.GetProperty("host-name").GetString()}");
    Console.WriteLine($"os:     {(os.TryGetProperty("pretty-name", out var pretty) ? pretty.GetString() : "(unknown)")}");
    return 0;
}
catch (QgaTimeoutException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
