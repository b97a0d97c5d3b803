namespace Qmp.Net.Shell.Cli;

/// <summary>The exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    /// <summary>Everything succeeded.</summary>
    public const int Success = 0;

    /// <summary>QEMU answered a command with an error.</summary>
    public const int CommandFailed = 1;

    /// <summary>The command line or the input was wrong, or connecting (or starting QEMU) failed.</summary>
    public const int UsageOrConnection = 2;
}
