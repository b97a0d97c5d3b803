using Qmp.Net.Shell.Editing;

namespace Qmp.Net.Shell.Tests.Editing;

public class TerminalTests
{
    [Test]
    public void Text_printed_while_a_line_is_live_goes_above_it_and_the_line_is_drawn_again_with_its_cursor()
    {
        var output = new StringWriter();
        var terminal = new Terminal(output, () => 80);
        terminal.SetLive(_ => new LiveView(["> query-na"], 10));
        Assert.That(output.ToString(), Is.EqualTo("> query-na\r\u001b[10C"));

        output.GetStringBuilder().Clear();
        terminal.WriteAbove("[12:00:00.000] RESUME");
        Assert.That(output.ToString(), Is.EqualTo("\r\u001b[J[12:00:00.000] RESUME\r\n> query-na\r\u001b[10C"));
    }

    [Test]
    public void A_live_area_of_several_rows_is_cleared_from_its_first_row()
    {
        var output = new StringWriter();
        var terminal = new Terminal(output, () => 80);
        terminal.SetLive(_ => new LiveView(["job a", "job b", "job c"], 0));
        output.GetStringBuilder().Clear();
        terminal.Refresh();
        Assert.That(output.ToString(), Does.StartWith("\u001b[2A\r\u001b[J"));
        output.GetStringBuilder().Clear();
        terminal.Commit("done\nall");
        Assert.That(output.ToString(), Is.EqualTo("\u001b[2A\r\u001b[Jdone\r\nall\r\n"));
        output.GetStringBuilder().Clear();
        terminal.WriteAbove("plain");
        Assert.That(output.ToString(), Is.EqualTo("plain\r\n"), "without a live area nothing is cleared or redrawn");
    }
}
