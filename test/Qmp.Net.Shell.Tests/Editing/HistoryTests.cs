using Qmp.Net.Shell.Editing;

namespace Qmp.Net.Shell.Tests.Editing;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class HistoryTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("qmp-history-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Lines_are_appended_to_a_private_file_without_blanks_repeats_or_a_byte_order_mark()
    {
        var path = Path.Combine(_directory, "state", "qmp-net", "history");
        var history = new History(path);
        history.Add("query-status");
        history.Add("query-status");
        history.Add("  ");
        history.Add("stop");
        Assert.That(File.ReadAllBytes(path)[0], Is.EqualTo((byte)'q'));
        Assert.That(File.ReadAllLines(path), Is.EqualTo(new[] { "query-status", "stop" }));
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(path)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(new History(path).Entries, Is.EqualTo(new[] { "query-status", "stop" }));
    }

    [Test]
    public void Only_the_last_thousand_lines_are_kept()
    {
        var path = Path.Combine(_directory, "history");
        File.WriteAllLines(path, Enumerable.Range(0, 2500).Select(i => "line " + i));
        var history = new History(path);
        Assert.That(history.Entries, Has.Count.EqualTo(History.Capacity));
        Assert.That(history.Entries[0], Is.EqualTo("line 1500"));
        Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(History.Capacity), "a file grown past twice the capacity is cut back");
    }

    [TestCase("/x/h", null, "/home/u", "/x/h")]
    [TestCase(null, "/state", "/home/u", "/state/qmp-net/history")]
    [TestCase(null, null, "/home/u", "/home/u/.local/state/qmp-net/history")]
    [TestCase("", "", "/home/u", "/home/u/.local/state/qmp-net/history")]
    public void The_file_is_QMP_HISTORY_FILE_else_under_XDG_STATE_HOME_else_under_the_home_directory(string? file, string? state, string? home, string expected)
    {
        var environment = new Dictionary<string, string?> { ["QMP_HISTORY_FILE"] = file, ["XDG_STATE_HOME"] = state, ["HOME"] = home };
        Assert.That(History.DefaultPath(name => environment.GetValueOrDefault(name)), Is.EqualTo(expected));
    }
}
