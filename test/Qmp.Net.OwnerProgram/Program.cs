using System.Globalization;
using System.Text.Json;
using Qmp.Net.Qemu;

// Usage:
//   start BINARY [STATE-DIRECTORY]  starts `BINARY -machine none -nodefaults -display none -S`, bound to this process (no
//                                   state directory) or detached with its state in STATE-DIRECTORY; prints
//                                   "started PID DIRECTORY" and waits until it is signalled or killed.
//   attach STATE-DIRECTORY          attaches to the QEMU described there, prints "attached PID STATUS JOBS", stops it and
//                                   prints "stopped METHOD".
//   exit BINARY                     starts a bound QEMU, prints "started PID DIRECTORY", reads a line from stdin and
//                                   returns from Main without disposing it.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: start BINARY [STATE-DIRECTORY] | attach STATE-DIRECTORY | exit BINARY");
    return 2;
}

var qemuArguments = new[] { "-machine", "none", "-nodefaults", "-display", "none", "-S" };
switch (args[0])
{
    case "start" or "exit":
    {
        var detached = args.Length > 2;
        var options = new QemuStartOptions
        {
            Binary = args[1],
            Arguments = qemuArguments,
            Lifetime = detached ? QemuLifetime.Detached : QemuLifetime.StopWithOwner,
            StateDirectory = detached ? args[2] : null,
        };
        var qemu = await QemuProcess.StartAsync(options);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"started {qemu.ProcessId} {qemu.SocketDirectory}"));
        Console.Out.Flush();
        if (args[0] == "exit")
        {
            // Returns once the test has its watch on QEMU (any line on stdin).
            Console.ReadLine();
            return 0;
        }

        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    case "attach":
    {
        var qemu = await QemuProcess.AttachAsync(args[1]);
        var status = await qemu.Client.ExecuteAsync("query-status");
        var jobs = await qemu.Client.ExecuteAsync("query-jobs");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"attached {qemu.ProcessId} {status.GetProperty("status").GetString()} {JsonSerializer.Serialize(jobs)}"));
        var method = await qemu.StopAsync(TimeSpan.FromSeconds(5));
        Console.WriteLine("stopped " + method);
        return 0;
    }

    default:
        Console.Error.WriteLine("unknown command " + args[0]);
        return 2;
}
