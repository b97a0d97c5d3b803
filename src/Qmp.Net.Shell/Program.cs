using Qmp.Net.Shell.Cli;

// The shell runs where QEMU runs: Linux and other Unix systems (history files get Unix permissions, QEMU is started
// through QemuProcess, which is Unix-only).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

namespace Qmp.Net.Shell;

internal static class Program
{
    private static Task<int> Main(string[] args) => QmpCli.RunAsync(args, ShellIO.FromConsole());
}
