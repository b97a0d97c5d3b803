using System.Globalization;
using System.Runtime.InteropServices;

namespace Qmp.Net.Benchmarks;

/// <summary>A process's <c>getrusage(RUSAGE_SELF)</c>: CPU time of all its threads (the exited ones included) and its
/// voluntary and involuntary context switches. <see cref="HostLoadMode"/> takes two of them from one client process, after a
/// short and after a long run, so that start-up and warm-up cancel out of the difference.</summary>
/// <param name="UserMicroseconds">User CPU time.</param>
/// <param name="SystemMicroseconds">System (kernel) CPU time.</param>
/// <param name="Voluntary">Voluntary context switches (the thread blocked: a read, a wait).</param>
/// <param name="Involuntary">Involuntary context switches (the thread was preempted while it could run).</param>
public readonly record struct ProcessUsage(long UserMicroseconds, long SystemMicroseconds, long Voluntary, long Involuntary)
{
    public static ProcessUsage operator +(ProcessUsage a, ProcessUsage b) =>
        new(a.UserMicroseconds + b.UserMicroseconds, a.SystemMicroseconds + b.SystemMicroseconds, a.Voluntary + b.Voluntary, a.Involuntary + b.Involuntary);

    public static ProcessUsage operator -(ProcessUsage a, ProcessUsage b) =>
        new(a.UserMicroseconds - b.UserMicroseconds, a.SystemMicroseconds - b.SystemMicroseconds, a.Voluntary - b.Voluntary, a.Involuntary - b.Involuntary);

    /// <summary>This process's usage so far.</summary>
    public static ProcessUsage Self()
    {
        if (NativeMethods.getrusage(0 /* RUSAGE_SELF */, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        return new ProcessUsage(
            (usage.UserSeconds * 1_000_000) + usage.UserMicroseconds,
            (usage.SystemSeconds * 1_000_000) + usage.SystemMicroseconds,
            usage.Voluntary,
            usage.Involuntary);
    }

    /// <summary>The form a child process prints and <see cref="Parse"/> reads: four integers.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{UserMicroseconds} {SystemMicroseconds} {Voluntary} {Involuntary}");

    public static ProcessUsage Parse(ReadOnlySpan<string> fields) => new(
        long.Parse(fields[0], CultureInfo.InvariantCulture),
        long.Parse(fields[1], CultureInfo.InvariantCulture),
        long.Parse(fields[2], CultureInfo.InvariantCulture),
        long.Parse(fields[3], CultureInfo.InvariantCulture));

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for one call.
        public static extern int getrusage(int who, out RUsage usage);
#pragma warning restore SYSLIB1054
    }

    /// <summary>Linux x86-64 <c>struct rusage</c>: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResident;
        public long SharedMemory;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlocksIn;
        public long BlocksOut;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long Voluntary;
        public long Involuntary;
    }
}
