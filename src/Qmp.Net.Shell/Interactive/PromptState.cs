using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Interactive;

/// <summary>The prompt: the VM's name and its run state, kept current from events.</summary>
internal sealed class PromptState
{
    private volatile string _status = "?";
    private volatile string? _name;

    /// <summary>Gets or sets the VM's name (<c>query-name</c>), or <see langword="null"/> when it has none.</summary>
    public string? Name
    {
        get => _name;
        set => _name = value;
    }

    /// <summary>Gets or sets the run state (<c>query-status</c>'s <c>status</c>), or "disconnected".</summary>
    public string Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>Renders the prompt.</summary>
    /// <param name="palette">The colours.</param>
    /// <returns>The painted prompt and how many columns it takes.</returns>
    public (string Text, int Width) Render(Palette palette)
    {
        var name = Name ?? "qemu";
        var status = Status;
        var plain = $"{name} [{status}]> ";
        var color = status switch
        {
            "running" => palette.Running,
            "paused" or "prelaunch" or "suspended" or "inmigrate" or "postmigrate" or "finish-migrate" or "save-vm" or "restore-vm" or "debug" => palette.Paused,
            _ => palette.Stopped,
        };
        var painted = palette.Paint(palette.Prompt, name) + " [" + palette.Paint(color, status) + "]" + palette.Paint(palette.Prompt, "> ");
        return (painted, plain.Length);
    }
}
