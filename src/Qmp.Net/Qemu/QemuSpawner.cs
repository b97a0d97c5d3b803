using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;

namespace Qmp.Net.Qemu;

/// <summary>Starts processes from one dedicated thread that lives as long as the .NET process.</summary>
/// <remarks>Linux ties a child's parent-death signal (<c>PR_SET_PDEATHSIG</c>, set here through <c>setpriv --pdeathsig</c>) to
/// the <em>thread</em> that forked it, not to the process: <see cref="Process.Start()"/> forks from the calling thread, and a
/// QEMU started from a thread-pool thread was sent its signal as soon as the pool retired that thread (measured: a child
/// started from a thread that then ended was gone within 300 ms). Forking from a thread that never ends makes the signal
/// mean "the owner process died".</remarks>
internal static class QemuSpawner
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> s_queue = [];
    private static readonly Lazy<Thread> s_thread = new(StartThread);

    /// <summary>Starts <paramref name="info"/> from the spawner thread.</summary>
    /// <exception cref="Win32Exception">The process could not be started.</exception>
    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        _ = s_thread.Value;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_queue.Add((info, started));
        return started.Task;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "Qmp.Net QEMU spawner" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        foreach (var (info, started) in s_queue.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new Win32Exception("Process.Start returned no process."));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
