using Spectre.Console;
using Spectre.Console.Rendering;

namespace Qmp.Net.Shell.Output;

/// <summary>Renders Spectre.Console widgets (tables) to text, so that the shell's one screen writer can print them
/// above the input line; colours follow the palette (none when it is plain).</summary>
internal static class Ui
{
    /// <summary>Renders a widget.</summary>
    /// <param name="renderable">The widget.</param>
    /// <param name="palette">Whether to colour it.</param>
    /// <param name="width">The width to lay it out for.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string Render(IRenderable renderable, Palette palette, int width)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = palette.Enabled ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = palette.Enabled ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
        });
        console.Profile.Width = Math.Max(40, width);
        console.Profile.Capabilities.Unicode = true;
        console.Write(renderable);
        var lines = writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd());
        return string.Join('\n', lines).TrimEnd('\n');
    }

    /// <summary>A table with the shell's look.</summary>
    /// <param name="columns">The column headers.</param>
    /// <returns>The table.</returns>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.None);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Markup("[bold]" + Markup.Escape(column) + "[/]")));
        }

        return table;
    }
}
