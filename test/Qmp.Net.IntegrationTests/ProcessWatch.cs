using System.Globalization;
using System.Runtime.InteropServices;

namespace Qmp.Net.IntegrationTests;

/// <summary>Watches a process that is not this one's child through a pidfd (Linux 5.3+): readable once the process has
/// exited, and bound to that very process, so a reused pid cannot fool it.</summary>
internal sealed class ProcessWatch : IDisposable
{
    private const long SysPidfdOpen = 434;
    private const long SysPidfdSendSignal = 424;
    private const short PollIn = 1;
    private readonly int _fd;

    private ProcessWatch(int pid, int fd)
    {
        Pid = pid;
        _fd = fd;
    }

    public int Pid { get; }

    /// <summary>Opens a watch on a running process.</summary>
    public static ProcessWatch Open(int pid)
    {
        var fd = (int)PidfdOpen(SysPidfdOpen, pid, 0);
        Assert.That(fd, Is.GreaterThanOrEqualTo(0), $"pidfd_open({pid}) failed with errno {Marshal.GetLastPInvokeError()}: is it running?");
        return new ProcessWatch(pid, fd);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the process to exit; true when it has (a zombie has exited).</summary>
    public Task<bool> WaitForExitAsync(TimeSpan timeout) => Task.Factory.StartNew(
        () =>
        {
            var poll = new PollFd { Fd = _fd, Events = PollIn };
            return Poll(ref poll, 1, (int)timeout.TotalMilliseconds) == 1;
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

    /// <summary>Gets the process's parent pid, or -1 when it is gone.</summary>
    public int ParentPid
    {
        get
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return -1;
            }
        }
    }

    /// <summary>Closes the watch; a process still running then (a failed test) is killed, so none outlives the run.</summary>
    public void Dispose()
    {
        var poll = new PollFd { Fd = _fd, Events = PollIn };
        if (Poll(ref poll, 1, 0) == 0)
        {
            PidfdSendSignal(SysPidfdSendSignal, _fd, 9, IntPtr.Zero, 0);
        }

        Close(_fd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long PidfdOpen(long number, int pid, uint flags);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long PidfdSendSignal(long number, int pidfd, int signal, IntPtr info, uint flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Poll(ref PollFd fds, uint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
