using System.Runtime.InteropServices;

namespace Qmp.Net.Qemu;

/// <summary>Stops the <see cref="QemuLifetime.StopWithOwner"/> QEMUs of this process when it ends in a way code can see: a
/// normal exit (<see cref="AppDomain.ProcessExit"/>) or SIGTERM, SIGINT or SIGHUP that no handler cancels.</summary>
/// <remarks>
/// <para>Measured on .NET 10 (Linux): an uncancelled SIGTERM, SIGINT or SIGHUP ends the process with 128 + the signal number
/// and runs <em>no</em> <see cref="AppDomain.ProcessExit"/> handler, <c>finally</c> block or <c>DisposeAsync</c>, so the
/// signals need handlers of their own. Those handlers never cancel the signal: the process still dies of it, with the exit
/// status its supervisor expects. A cancelled signal means the application lives on and ends later by a normal exit, which
/// <see cref="AppDomain.ProcessExit"/> covers. Handlers of one signal run in the reverse order of their registration, so a
/// cancel is seen here only from a handler registered after this one (after the first QEMU started).</para>
/// <para>The handler stops every bound QEMU at once (each with its own <see cref="QemuStartOptions.DisposeGrace"/> per step)
/// and returns when they are gone, at most about 2 × grace + 10 s later.</para>
/// </remarks>
internal static class QemuOwnerBinding
{
    private static readonly object s_lock = new();
    private static readonly HashSet<QemuProcess> s_bound = [];
    private static List<PosixSignalRegistration>? s_registrations;

    /// <summary>Gets how many QEMUs are bound to this process now (for the tests).</summary>
    internal static int Count
    {
        get
        {
            lock (s_lock)
            {
                return s_bound.Count;
            }
        }
    }

    public static void Bind(QemuProcess qemu)
    {
        lock (s_lock)
        {
            EnsureRegistered();
            s_bound.Add(qemu);
        }
    }

    public static void Unbind(QemuProcess qemu)
    {
        lock (s_lock)
        {
            s_bound.Remove(qemu);
        }
    }

    private static void EnsureRegistered()
    {
        if (s_registrations is not null)
        {
            return;
        }

        s_registrations = [];
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
        {
            s_registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        if (context.Cancel)
        {
            // A handler that ran before this one keeps the process alive; its normal exit will stop the QEMUs.
            return;
        }

        StopAll();
    }

    /// <summary>Stops every bound QEMU and waits until they are gone. Never throws: it runs on the runtime's signal and exit threads.</summary>
    private static void StopAll()
    {
        QemuProcess[] bound;
        lock (s_lock)
        {
            bound = [.. s_bound];
        }

        if (bound.Length == 0)
        {
            return;
        }

        try
        {
            // DisposeAsync never throws and is bounded (quit, SIGTERM, SIGKILL); Task.Run keeps any SynchronizationContext out.
            Task.Run(() => Task.WhenAll(bound.Select(q => q.DisposeAsync().AsTask()))).Wait();
        }
        catch (Exception e) when (e is AggregateException or ObjectDisposedException)
        {
            // Nothing can be done on the way out.
        }
    }
}
