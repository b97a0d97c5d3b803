using System.Text.Json;
using Qmp.Net.Fleet;
using Qmp.Net.Testing;

namespace Qmp.Net.Tests.Fleet;

/// <summary>The fleet's per-VM wire transcript against the fake server on a real socket: JSON lines, secrets masked,
/// events included, size bounded whatever the traffic.</summary>
[CancelAfter(60_000)]
public class WireTranscriptTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("qmp-net-transcript-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task A_password_argument_is_masked_in_the_transcript()
    {
        const string secret = "hunter2-transcript-secret";
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        server.Handle("change-vnc-password", _ => null);
        string path;
        await using (var fleet = new QmpFleet(QmpFleetOptions.Default with { TranscriptDirectory = _directory }))
        {
            fleet.Add("vm1", server.Endpoint);
            await fleet.ExecuteAsync("vm1", "change-vnc-password", new Dictionary<string, object> { ["password"] = secret });
            path = fleet.GetTranscriptPath("vm1")!;
        }

        var text = await File.ReadAllTextAsync(path);
        var lines = ReadLines(path);
        var sent = lines.Single(l => l.GetProperty("dir").GetString() == "sent" && l.GetProperty("msg").GetProperty("execute").GetString() == "change-vnc-password");
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Not.Contain(secret));
            Assert.That(sent.GetProperty("msg").GetProperty("arguments").GetProperty("password").GetString(), Is.EqualTo("***"));
            Assert.That(sent.GetProperty("time").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UnixEpoch));
            Assert.That(lines.Any(l => l.GetProperty("dir").GetString() == "received" && l.GetProperty("msg").TryGetProperty("QMP", out _)), "the greeting");
            Assert.That(Path.GetFileName(path), Is.EqualTo("vm1.jsonl"));
        });
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
    }

    [Test]
    public async Task Events_appear_in_the_transcript_of_their_VM_only()
    {
        await using var one = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var two = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using (var fleet = new QmpFleet(QmpFleetOptions.Default with { TranscriptDirectory = _directory }))
        {
            fleet.Add("one", one.Endpoint);
            fleet.Add("two", two.Endpoint);
            await fleet.FanOutAsync("query-status");
            await one.EmitEventAsync("STOP");
            await using var events = fleet.ReadEventsAsync().GetAsyncEnumerator();
            Assert.That(await events.MoveNextAsync(), Is.True);
            Assert.That(events.Current.Name, Is.EqualTo("one"));
        }

        Assert.Multiple(() =>
        {
            Assert.That(ReadLines(Path.Combine(_directory, "one.jsonl")).Count(IsStopEvent), Is.EqualTo(1));
            Assert.That(ReadLines(Path.Combine(_directory, "two.jsonl")).Count(IsStopEvent), Is.Zero);
        });

        static bool IsStopEvent(JsonElement line) =>
            line.GetProperty("dir").GetString() == "received" && line.GetProperty("msg").TryGetProperty("event", out var name) && name.GetString() == "STOP";
    }

    [Test]
    public async Task The_size_bound_holds_with_many_commands_and_the_newest_lines_are_kept()
    {
        const long bound = 16 * 1024;
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        server.Handle("echo-big", _ => new { text = new string('x', 20 * 1024) });
        server.Handle("query-name", _ => new { name = "vm" });
        string path;
        await using (var fleet = new QmpFleet(QmpFleetOptions.Default with { TranscriptDirectory = _directory, TranscriptMaxBytes = bound }))
        {
            fleet.Add("vm", server.Endpoint);
            for (var i = 0; i < 2000; i++)
            {
                await fleet.ExecuteAsync("vm", "query-status");
            }

            await fleet.ExecuteAsync("vm", "echo-big");
            await fleet.ExecuteAsync("vm", "query-name");
            path = fleet.GetTranscriptPath("vm")!;
        }

        var files = Directory.GetFiles(_directory);
        var total = files.Sum(f => new FileInfo(f).Length);
        var lines = ReadLines(path).Concat(ReadLines(path + ".1")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(files, Has.Length.EqualTo(2));
            Assert.That(total, Is.LessThanOrEqualTo(bound));
            Assert.That(total, Is.GreaterThan(bound / 4), "the transcript keeps a useful amount");
            Assert.That(ReadLines(path).Last().GetProperty("dir").GetString(), Is.EqualTo("received"), "the newest reply is last");
            Assert.That(lines.Any(l => l.TryGetProperty("truncatedBytes", out var size) && size.GetInt32() > 20 * 1024), "the big reply is kept as its size");
            Assert.That(lines.Any(l => l.TryGetProperty("msg", out var msg) && msg.TryGetProperty("execute", out var c) && c.GetString() == "query-name"));
        });
    }

    [Test]
    public async Task A_name_that_is_a_path_stays_in_the_directory()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var fleet = new QmpFleet(QmpFleetOptions.Default with { TranscriptDirectory = _directory });
        fleet.Add("../escape/vm", server.Endpoint);
        await fleet.ExecuteAsync("../escape/vm", "query-status");

        Assert.That(Path.GetDirectoryName(fleet.GetTranscriptPath("../escape/vm")), Is.EqualTo(_directory));
        Assert.That(File.Exists(fleet.GetTranscriptPath("../escape/vm")), Is.True);
    }

    [Test]
    public void A_bound_below_4_KiB_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new QmpFleet(QmpFleetOptions.Default with { TranscriptMaxBytes = 100 }));

    private static List<JsonElement> ReadLines(string path) =>
        File.Exists(path)
            ? [.. File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement.Clone())]
            : [];
}
