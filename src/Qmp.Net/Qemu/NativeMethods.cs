using System.Runtime.InteropServices;

namespace Qmp.Net.Qemu;

/// <summary>The one libc call .NET does not offer: sending SIGTERM (Process.Kill only sends SIGKILL).</summary>
internal static class NativeMethods
{
    internal const int SIGTERM = 15;
    internal const int SIGKILL = 9;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; returns false when it could not be sent
    /// (the process is gone, or this is not a Unix system).</summary>
    internal static bool TrySendSignal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            return Kill(pid, signal) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
