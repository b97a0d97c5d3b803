namespace Qmp.Net.Shell.Cli;

/// <summary>What the command line asked for, after parsing.</summary>
internal sealed record ShellOptions
{
    /// <summary>Gets the command words after the endpoint: <c>COMMAND key=value ...</c>, or an HMP command line.</summary>
    public IReadOnlyList<string> Words { get; init; } = [];

    /// <summary>Gets where to connect, or <see langword="null"/> under <c>--launch</c>.</summary>
    public QmpEndpoint? Endpoint { get; init; }

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

    /// <summary>Gets the mode a subcommand asked for (<see cref="ShellMode.Commands"/> without one).</summary>
    public ShellMode Mode { get; init; }

    /// <summary>Gets the name given to <c>schema</c>, with its <c>tag=value</c> words, or <see langword="null"/>.</summary>
    public string? SchemaName { get; init; }

    /// <summary>Gets the job id given to <c>wait job</c>, or <see langword="null"/> for <c>wait migration</c>.</summary>
    public string? WaitId { get; init; }

    /// <summary>Gets whether <c>wait job</c> completes the job (<c>job-complete</c>) when it is ready (<c>--complete</c>).</summary>
    public bool WaitComplete { get; init; }

    /// <summary>Gets whether every command is a human monitor (HMP) command (<c>-H</c>).</summary>
    public bool Hmp { get; init; }

    /// <summary>Gets whether the JSON sent and received is echoed to standard error (<c>-v</c>).</summary>
    public bool Verbose { get; init; }

    /// <summary>Gets whether JSON results are indented: <see langword="true"/> for <c>-p</c>, <see langword="false"/> for
    /// <c>-c</c>, <see langword="null"/> for the default (indented on a terminal, compact when piped).</summary>
    public bool? Pretty { get; init; }

    /// <summary>Gets whether events are printed as they arrive, beside the results of the commands (<c>-e</c>).</summary>
    public bool FollowEvents { get; init; }

    /// <summary>Gets the event to wait for after the last command, or <see langword="null"/>.</summary>
    public string? Until { get; init; }

    /// <summary>Gets how long to keep printing events after the last command (or, with <see cref="Until"/>, how long to
    /// wait for that event at most).</summary>
    public TimeSpan? Linger { get; init; }
}

/// <summary>What the tool does once connected.</summary>
internal enum ShellMode
{
    /// <summary>Commands: one from the command line, the lines of standard input, or the interactive shell.</summary>
    Commands,

    /// <summary><c>events</c>: print events.</summary>
    Events,

    /// <summary><c>schema</c>: describe the schema.</summary>
    Schema,

    /// <summary><c>wait</c>: wait for a job or a migration to end.</summary>
    Wait,
}
