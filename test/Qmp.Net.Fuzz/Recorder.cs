using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Qmp.Net.Fuzz;

/// <summary>Records what a real QEMU sends, byte for byte, into seed files for the fuzz corpus: one file per scenario, each
/// a whole conversation from the greeting on (a new monitor connection per scenario).</summary>
/// <remarks>Run by <c>fuzz.sh --record</c>; the committed seeds under <c>corpus/server/</c> came from QEMU 7.2.22 (Debian)
/// and 10.0.2 (bookworm-backports). The client side is written raw, so what is recorded is exactly the server's side.</remarks>
internal static class Recorder
{
    private static readonly (string Name, string[] Commands, string[] AwaitEvents)[] s_scenarios =
    [
        ("negotiation", [
            """{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}""",
            """{"execute":"query-status"}""",
            """{"execute":"query-version","id":1}""",
            """{"exec-oob":"query-yank","id":"yank-1"}""",
            """{"execute":"query-name","id":{"nested":[1,2.5,null,true]}}""",
        ], []),
        ("lifecycle", [
            """{"execute":"qmp_capabilities"}""",
            """{"execute":"cont"}""",
            """{"execute":"stop"}""",
            """{"execute":"cont"}""",
            """{"execute":"system_reset"}""",
            """{"execute":"system_powerdown"}""",
            """{"execute":"query-status"}""",
        ], ["STOP", "RESUME", "RESET", "POWERDOWN"]),
        ("errors", [
            """{"execute":"query-status"}""",
            """{"execute":"qmp_capabilities","arguments":{"enable":["bogus"]}}""",
            """{"execute":"qmp_capabilities"}""",
            """{"execute":"no-such-command","id":7}""",
            """{"execute":"query-status","arguments":{"bogus":1}}""",
            """{"execute":"blockdev-del","arguments":{"node-name":"missing"}}""",
            """{"exec-oob":"query-status","id":8}""",
            """{"execute":"qmp_capabilities"}""",
            """{"execute":"human-monitor-command","arguments":{"command-line":"info nothing"}}""",
        ], []),
        ("block-job", [
            """{"execute":"qmp_capabilities"}""",
            """{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"src","size":16777216}}""",
            """{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"tgt","size":16777216}}""",
            """{"execute":"blockdev-mirror","arguments":{"job-id":"job0","device":"src","target":"tgt","sync":"full"}}""",
            "wait:BLOCK_JOB_READY",
            """{"execute":"query-jobs"}""",
            """{"execute":"job-complete","arguments":{"id":"job0"}}""",
            "wait:BLOCK_JOB_COMPLETED",
            """{"execute":"query-named-block-nodes","arguments":{"flat":true}}""",
        ], []),
        ("schema", [
            """{"execute":"qmp_capabilities"}""",
            """{"execute":"query-qmp-schema"}""",
        ], []),
        ("shutdown", [
            """{"execute":"qmp_capabilities"}""",
            """{"execute":"quit"}""",
        ], ["SHUTDOWN"]),
    ];

    public static int Record(string qemu, string outDir, string? dataDir)
    {
        Directory.CreateDirectory(outDir);
        string? version = null;
        foreach (var (name, commands, awaitEvents) in s_scenarios)
        {
            // A QEMU per scenario: 7.2 does not always answer a second connection's qmp_capabilities after an
            // out-of-band session, and each seed should be a first conversation anyway.
            var dir = Directory.CreateTempSubdirectory("qmp-record-");
            var socketPath = Path.Combine(dir.FullName, "qmp.sock");
            var start = new ProcessStartInfo(qemu) { RedirectStandardError = true, RedirectStandardOutput = true };
            var arguments = (dataDir is null ? "" : $"-L {dataDir} ") + $"-machine pc -nodefaults -display none -S -qmp unix:{socketPath},server=on,wait=off";
            foreach (var arg in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            try
            {
                var recorded = RunScenario(socketPath, commands, awaitEvents, ref version);
                var file = Path.Combine(outDir, $"qemu-{version}-{name}.json");
                File.WriteAllBytes(file, recorded);
                Console.WriteLine($"{file}: {recorded.Length} bytes");
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                process.WaitForExit();
                dir.Delete(recursive: true);
            }
        }

        return 0;
    }

    private static byte[] RunScenario(string socketPath, string[] commands, string[] awaitEvents, ref string? version)
    {
        using var socket = Connect(socketPath);
        var recorded = new MemoryStream();
        var lines = new Queue<string>();
        var pending = new StringBuilder();
        var buffer = new byte[65536];
        var seenEvents = new HashSet<string>(StringComparer.Ordinal);

        string NextLine()
        {
            while (lines.Count == 0)
            {
                int count;
                try
                {
                    count = socket.Receive(buffer);
                }
                catch (SocketException e)
                {
                    throw new IOException("No answer; so far: " + Encoding.UTF8.GetString(recorded.ToArray()), e);
                }

                if (count <= 0)
                {
                    throw new IOException("QEMU closed the connection.");
                }

                recorded.Write(buffer, 0, count);
                pending.Append(Encoding.UTF8.GetString(buffer, 0, count));
                var text = pending.ToString();
                var end = text.LastIndexOf('\n');
                if (end >= 0)
                {
                    foreach (var line in text[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        lines.Enqueue(line.Trim());
                    }

                    pending.Clear().Append(text[(end + 1)..]);
                }
            }

            var next = lines.Dequeue();
            if (next.StartsWith("{\"event\"", StringComparison.Ordinal) || next.Contains("\"event\":", StringComparison.Ordinal))
            {
                var nameStart = next.IndexOf("\"event\": \"", StringComparison.Ordinal);
                if (nameStart >= 0)
                {
                    nameStart += 10;
                    seenEvents.Add(next[nameStart..next.IndexOf('"', nameStart)]);
                }
            }

            return next;
        }

        void Until(Func<string, bool> done)
        {
            while (!done(NextLine()))
            {
            }
        }

        var greeting = NextLine();
        if (version is null)
        {
            var major = Number(greeting, "\"major\": ");
            var minor = Number(greeting, "\"minor\": ");
            version = $"{major}.{minor}";
        }

        foreach (var command in commands)
        {
            if (command.StartsWith("wait:", StringComparison.Ordinal))
            {
                var name = command[5..];
                if (!seenEvents.Contains(name))
                {
                    Until(_ => seenEvents.Contains(name));
                }

                continue;
            }

            socket.Send(Encoding.UTF8.GetBytes(command + "\n"));
            Until(line => line.StartsWith("{\"return\"", StringComparison.Ordinal) || line.StartsWith("{\"error\"", StringComparison.Ordinal) ||
                (!line.Contains("\"event\":", StringComparison.Ordinal) && (line.Contains("\"return\":", StringComparison.Ordinal) || line.Contains("\"error\":", StringComparison.Ordinal))));
        }

        foreach (var name in awaitEvents)
        {
            if (!seenEvents.Contains(name))
            {
                Until(_ => seenEvents.Contains(name));
            }
        }

        return recorded.ToArray();
    }

    private static string Number(string text, string key)
    {
        var at = text.IndexOf(key, StringComparison.Ordinal) + key.Length;
        var end = at;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }

        return text[at..end];
    }

    private static Socket Connect(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5_000 };
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return socket;
            }
            catch (SocketException) when (attempt < 200)
            {
                socket.Dispose();
                Thread.Sleep(50); // Only a recording tool: QEMU's socket appears some milliseconds after it starts.
            }
        }
    }
}
