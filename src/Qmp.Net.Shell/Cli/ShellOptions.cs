namespace Qmp.Net.Shell.Cli;

/// <summary>What the command line asked for, after parsing.</summary>
internal sealed record ShellOptions
{
    /// <summary>Gets the positional words: <c>ENDPOINT [COMMAND key=value ...]</c>, or without the endpoint under <c>--launch</c>.</summary>
    public IReadOnlyList<string> Words { get; init; } = [];

    /// <summary>Gets whether to start a QEMU instead of connecting to one.</summary>
    public bool Launch { get; init; }

    /// <summary>Gets the QEMU binary for <c>--launch</c>.</summary>
    public string QemuBinary { get; init; } = Qemu.QemuStartOptions.DefaultBinary;

    /// <summary>Gets the arguments after <c>--</c>, for the launched QEMU.</summary>
    public IReadOnlyList<string> QemuArguments { get; init; } = [];

    /// <summary>Gets a raw JSON command given with <c>--json</c>.</summary>
    public string? Json { get; init; }

    /// <summary>Gets how many events <c>events</c> prints before it stops.</summary>
    public int? Count { get; init; }

    /// <summary>Gets the event names <c>events</c> prints (all when empty).</summary>
    public IReadOnlyList<string> EventNames { get; init; } = [];

    /// <summary>Gets whether colours are turned off by option.</summary>
    public bool NoColor { get; init; }

    /// <summary>Gets whether to skip checking commands against the schema before sending them.</summary>
    public bool NoValidate { get; init; }

    /// <summary>Gets how long to wait for a connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
