using System.Diagnostics;
using System.Globalization;
using Qmp.Net;

// Connects to the QMP socket named on the command line, runs one query-status and prints the milliseconds from the
// process's start (the kernel's start time) and from Main to the reply: "first FROM-START FROM-MAIN".
var main = Stopwatch.GetTimestamp();
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Qmp.Net.ColdStart SOCKET");
    return 2;
}

await using (var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(args[0])))
{
    await client.ExecuteAsync("query-status");
}

var fromMain = Stopwatch.GetElapsedTime(main);
using var self = Process.GetCurrentProcess();
var fromStart = DateTime.Now - self.StartTime;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first {fromStart.TotalMilliseconds:F1} {fromMain.TotalMilliseconds:F1}"));
return 0;
