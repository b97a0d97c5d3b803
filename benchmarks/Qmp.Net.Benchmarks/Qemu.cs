using System.Diagnostics;

namespace Qmp.Net.Benchmarks;

/// <summary>Starts a real QEMU (<c>-machine none -S</c>) with QMP monitors on Unix sockets, for <see cref="RealQemuBenchmarks"/>.</summary>
public sealed class Qemu : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private Qemu(Process process, string directory, string[] sockets)
    {
        _process = process;
        _directory = directory;
        Sockets = sockets;
    }

    /// <summary>Gets the QEMU binary: <c>QEMU_SYSTEM_X86_64</c> from the environment, or <c>qemu-system-x86_64</c> on the PATH.</summary>
    public static string Binary { get; } = FindBinary();

    public static bool IsAvailable => File.Exists(Binary);

    public IReadOnlyList<string> Sockets { get; }

    /// <summary>Starts QEMU with <paramref name="monitors"/> separate QMP monitors (a monitor serves one client at a time).</summary>
    public static Qemu Start(int monitors)
    {
        var directory = Directory.CreateTempSubdirectory("qmpbench-qemu-").FullName;
        var sockets = Enumerable.Range(0, monitors).Select(i => Path.Combine(directory, $"qmp{i}.sock")).ToArray();
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in new[] { "-machine", "none", "-nodefaults", "-display", "none", "-S" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var socket in sockets)
        {
            start.ArgumentList.Add("-qmp");
            start.ArgumentList.Add($"unix:{socket},server=on,wait=off");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{Binary} did not start.");
        var deadline = Stopwatch.StartNew();
        // The socket file exists once QEMU has bound it, but a connection is refused until it listens: wait until the
        // kernel lists every socket as listening (/proc/net/unix flag __SO_ACCEPTCON), so that no connect sees a refusal.
        while (!sockets.All(File.Exists) || !AllListening(sockets))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                var error = process.HasExited ? process.StandardError.ReadToEnd() : "timed out";
                process.Kill();
                throw new InvalidOperationException($"QEMU did not create its QMP sockets: {error}");
            }

            Thread.Sleep(10);
        }

        return new Qemu(process, directory, sockets);
    }

    private static bool AllListening(string[] sockets)
    {
        var listening = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/net/unix").Skip(1))
        {
            // Num RefCount Protocol Flags Type St Inode Path
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 8 && fields[3] == "00010000")
            {
                listening.Add(fields[7]);
            }
        }

        return sockets.All(listening.Contains);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static string FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("QEMU_SYSTEM_X86_64");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var candidate = Path.Combine(directory, "qemu-system-x86_64");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "qemu-system-x86_64";
    }
}
