using Qmp.Net.Shell.Cli;

namespace Qmp.Net.Shell;

internal static class Program
{
    private static Task<int> Main(string[] args) => QmpCli.RunAsync(args, ShellIO.FromConsole());
}
