using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Testing;

namespace Qmp.Net.IntegrationTests;

/// <summary>Proves <see cref="QmpTestServerOptions.QemuLike"/>: one script of raw QMP commands runs against a real QEMU
/// 7.2 (<c>-machine none -S</c>) and against the profile, and every reply and every event must match member by member,
/// timestamps and version numbers aside. When QEMU changes, the failure names the command and the JSON path that drifted.</summary>
[CancelAfter(30_000)]
public sealed class QemuLikeDifferentialTests
{
    /// <summary>The script: errors before and during negotiation, every run-state change from every state (and the ones
    /// that change nothing, so send no event), argument errors, the queries, and quit.</summary>
    private static readonly string[] s_script =
    [
        """{"execute":"query-status","id":"early"}""",
        """{"exec-oob":"query-status","id":1}""",
        """{"execute":"qmp_capabilities","arguments":{"x":1}}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":["oob",1]}}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":["foo"]}}""",
        """{"execute":"qmp_capabilities"}""",
        """{"execute":"qmp_capabilities"}""",
        """{"execute":"query-status","id":"a"}""",
        """{"execute":"stop"}""",
        """{"execute":"query-status"}""",
        """{"execute":"system_powerdown"}""",
        """{"execute":"system_reset"}""",
        """{"execute":"query-status"}""",
        """{"execute":"cont","id":7}""",
        """{"execute":"cont"}""",
        """{"execute":"query-status"}""",
        """{"execute":"system_reset"}""",
        """{"execute":"query-status"}""",
        """{"execute":"system_powerdown"}""",
        """{"execute":"stop"}""",
        """{"execute":"stop"}""",
        """{"execute":"query-status"}""",
        """{"execute":"system_reset"}""",
        """{"execute":"query-status"}""",
        """{"execute":"query-status","arguments":{"x":1}}""",
        """{"execute":"stop","arguments":{"verbose":true}}""",
        """{"execute":"cont","arguments":{}}""",
        """{"execute":"query-name"}""",
        """{"execute":"query-version"}""",
        """{"execute":"query-commands"}""",
        """{"execute":"qom-list","arguments":{"path":"/"}}""",
        """{"execute":"qom-list"}""",
        """{"execute":"qom-list","arguments":{"path":5}}""",
        """{"execute":"qom-list","arguments":{"path":"/no-such-object"}}""",
        """{"execute":"qom-list","arguments":{"path":""}}""",
        """{"execute":"qom-list","arguments":{"path":"/","depth":1}}""",
        """{"execute":"no-such-command","id":"x"}""",
        """{"execute":"quit","arguments":{"now":true}}""",
        """{"execute":"quit","id":"bye"}""",
    ];

    [Test]
    public async Task QemuLike_answers_the_script_exactly_as_QEMU_does(CancellationToken cancellationToken)
    {
        QemuFixture.Require();
        var directory = QemuFixture.CreatePrivateDirectory();
        try
        {
            // Two monitors: QemuProcess connects its client to the first; the script runs raw on the second (a QEMU
            // monitor serves one client at a time, and the script must start before negotiation).
            var first = Path.Combine(directory, "first.sock");
            var second = Path.Combine(directory, "second.sock");
            List<JsonObject> fromQemu;
            await using (var qemu = await QemuFixture.StartAsync(
                null,
                QmpEndpoint.Unix(first),
                "-qmp", $"unix:{first},server=on,wait=off",
                "-qmp", $"unix:{second},server=on,wait=off"))
            {
                fromQemu = await RunScriptAsync(second, cancellationToken);
            }

            await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike, cancellationToken);
            var fromQemuLike = await RunScriptAsync(((QmpUnixEndpoint)server.Endpoint).Path, cancellationToken);

            var differences = new List<string>();
            for (var i = 0; i < fromQemu.Count; i++)
            {
                var label = i == 0 ? "greeting" : $"command #{i - 1} {s_script[i - 1]}";
                Normalize(i == 0 ? null : s_script[i - 1], fromQemu[i], fromQemuLike[i]);
                Compare(label, "$", fromQemu[i], fromQemuLike[i], differences);
            }

            Assert.That(differences, Is.Empty, "QemuLike differs from QEMU " + QemuFixture.Binary + ":\n" + string.Join("\n", differences));
            Assert.That(fromQemuLike[^1]["closed"]!.GetValue<bool>(), Is.True, "the script must end with quit closing the connection");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void A_difference_is_reported_with_its_command_and_json_path()
    {
        var differences = new List<string>();
        var qemu = JsonNode.Parse("""{"events":[{"event":"RESUME"}],"reply":{"return":{"status":"running","running":true}}}""")!.AsObject();
        var fake = JsonNode.Parse("""{"events":[],"reply":{"return":{"status":"paused","running":true,"extra":1}}}""")!.AsObject();

        Compare("command #3 x", "$", qemu, fake, differences);

        Assert.That(differences, Is.EquivalentTo(new[]
        {
            "command #3 x: $.events has 1 item(s) from QEMU, 0 from QemuLike",
            "command #3 x: $.events[0]: QEMU sent {\"event\":\"RESUME\"}, QemuLike sent nothing",
            "command #3 x: $.reply.return.status: QEMU sent \"running\", QemuLike sent \"paused\"",
            "command #3 x: $.reply.return.extra: QEMU sent nothing, QemuLike sent 1",
        }));
    }

    /// <summary>Runs the script on a raw connection. Entry 0 is the greeting; entry n+1 holds command n's reply and the
    /// events that came before it, and, for the last command, whether the connection then closed.</summary>
    private static async Task<List<JsonObject>> RunScriptAsync(string socketPath, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);

        var results = new List<JsonObject> { new() { ["greeting"] = await ReadMessageAsync(reader, cancellationToken) } };
        for (var i = 0; i < s_script.Length; i++)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(s_script[i]), cancellationToken);
            var events = new JsonArray();
            JsonObject? reply = null;
            while (reply is null)
            {
                var message = await ReadMessageAsync(reader, cancellationToken)
                    ?? throw new AssertionException($"the connection closed before the reply to command #{i} {s_script[i]}");
                if (message.ContainsKey("event"))
                {
                    events.Add(message);
                }
                else
                {
                    reply = message;
                }
            }

            var result = new JsonObject { ["events"] = events, ["reply"] = reply };
            if (i == s_script.Length - 1)
            {
                result["closed"] = await ReadMessageAsync(reader, cancellationToken) is null;
            }

            results.Add(result);
        }

        return results;
    }

    private static async Task<JsonObject?> ReadMessageAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var line = await reader.ReadLineAsync(cancellationToken);
        return line is null ? null : JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>Sets aside what may differ: event timestamps, version numbers and package strings, and the commands
    /// QEMU has that the profile does not implement (QemuLike lists only what it answers; each must exist in QEMU).</summary>
    private static void Normalize(string? command, JsonObject qemu, JsonObject fake)
    {
        foreach (var result in new[] { qemu, fake })
        {
            if (result["greeting"]?["QMP"]?["version"] is JsonObject greetingVersion)
            {
                greetingVersion["qemu"] = "(version)";
                greetingVersion["package"] = "(package)";
            }

            foreach (var e in result["events"]?.AsArray() ?? [])
            {
                e!.AsObject().Remove("timestamp");
            }

            if (command is not null && command.Contains("\"query-version\"", StringComparison.Ordinal) && result["reply"]?["return"] is JsonObject version)
            {
                version["qemu"] = "(version)";
                version["package"] = "(package)";
            }
        }

        if (command is not null && command.Contains("\"query-commands\"", StringComparison.Ordinal) &&
            qemu["reply"]?["return"] is JsonArray all && fake["reply"]?["return"] is JsonArray listed)
        {
            var names = listed.Select(c => (string)c!["name"]!).ToHashSet(StringComparer.Ordinal);
            qemu["reply"]!["return"] = Sorted(all.Where(c => names.Contains((string)c!["name"]!)));
            fake["reply"]!["return"] = Sorted(listed);
        }

        static JsonArray Sorted(IEnumerable<JsonNode?> commands) =>
            new([.. commands.OrderBy(c => (string)c!["name"]!, StringComparer.Ordinal).Select(c => c!.DeepClone())]);
    }

    /// <summary>Compares two JSON values member by member (member order aside) and adds one line per difference.</summary>
    private static void Compare(string label, string path, JsonNode? qemu, JsonNode? fake, List<string> differences)
    {
        switch (qemu, fake)
        {
            case (JsonObject q, JsonObject f):
                foreach (var (name, value) in q)
                {
                    if (f.TryGetPropertyValue(name, out var other))
                    {
                        Compare(label, $"{path}.{name}", value, other, differences);
                    }
                    else
                    {
                        differences.Add($"{label}: {path}.{name}: QEMU sent {Show(value)}, QemuLike sent nothing");
                    }
                }

                foreach (var (name, value) in f)
                {
                    if (!q.ContainsKey(name))
                    {
                        differences.Add($"{label}: {path}.{name}: QEMU sent nothing, QemuLike sent {Show(value)}");
                    }
                }

                break;
            case (JsonArray q, JsonArray f):
                if (q.Count != f.Count)
                {
                    differences.Add($"{label}: {path} has {q.Count} item(s) from QEMU, {f.Count} from QemuLike");
                }

                for (var i = 0; i < Math.Max(q.Count, f.Count); i++)
                {
                    if (i >= f.Count)
                    {
                        differences.Add($"{label}: {path}[{i}]: QEMU sent {Show(q[i])}, QemuLike sent nothing");
                    }
                    else if (i >= q.Count)
                    {
                        differences.Add($"{label}: {path}[{i}]: QEMU sent nothing, QemuLike sent {Show(f[i])}");
                    }
                    else
                    {
                        Compare(label, $"{path}[{i}]", q[i], f[i], differences);
                    }
                }

                break;
            default:
                if (!JsonNode.DeepEquals(qemu, fake))
                {
                    differences.Add($"{label}: {path}: QEMU sent {Show(qemu)}, QemuLike sent {Show(fake)}");
                }

                break;
        }

        static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";
    }
}
