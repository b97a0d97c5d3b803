using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Tests.Cli;

public class PaletteTests
{
    [TestCase(true, false, null, "xterm", true)]
    [TestCase(false, false, null, "xterm", false)]
    [TestCase(true, true, null, "xterm", false)]
    [TestCase(true, false, "1", "xterm", false)]
    [TestCase(true, false, "", "xterm", true)]
    [TestCase(true, false, null, "dumb", false)]
    public void Colours_are_on_only_on_a_terminal_without_NO_COLOR_or_no_color_option(bool terminal, bool option, string? noColor, string term, bool expected)
    {
        var palette = Palette.Choose(terminal, option, name => name switch { "NO_COLOR" => noColor, "TERM" => term, _ => null });
        Assert.That(palette.Enabled, Is.EqualTo(expected));
        Assert.That(palette.Paint(palette.Error, "x"), expected ? Does.Contain("\u001b[") : Is.EqualTo("x"));
    }

    [Test]
    public void JSON_is_indented_for_people_and_compact_for_programs()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"a": [1, {"b": "é"}], "c": {}, "d": [], "n": 18446744073709551615}""");
        Assert.That(JsonPainter.Compact(document.RootElement), Is.EqualTo("""{"a":[1,{"b":"é"}],"c":{},"d":[],"n":18446744073709551615}"""));
        Assert.That(JsonPainter.Indented(document.RootElement, Palette.Plain), Is.EqualTo(
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"é\"\n    }\n  ],\n  \"c\": {},\n  \"d\": [],\n  \"n\": 18446744073709551615\n}"));
        var painted = JsonPainter.Indented(document.RootElement, Palette.Colored);
        Assert.That(painted, Does.Contain(Palette.Colored.Key + "\"a\"" + Palette.Colored.Reset));
        Assert.That(System.Text.RegularExpressions.Regex.Replace(painted, "\u001b\\[[0-9;]*m", string.Empty),
            Is.EqualTo(JsonPainter.Indented(document.RootElement, Palette.Plain)));
    }
}
