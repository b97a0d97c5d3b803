using System.Diagnostics;
using System.Globalization;

namespace Qmp.Net.Benchmarks;

/// <summary>The C floor: <c>qmpfloor.c</c> (embedded in this assembly) built with the machine's C compiler into a temporary
/// directory and run as a child process connected to its own QMP monitor. It does what <see cref="BlockingQmpConnection"/>
/// does, with no runtime at all; a job is one line on its stdin, answered by <c>ok</c> when done (two pipe hops per job of
/// hundreds of commands). Skipped, with a message, when there is no C compiler (<c>cc</c>, <c>gcc</c> or <c>clang</c>).</summary>
public sealed class NativeFloorClient : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private NativeFloorClient(Process process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    /// <summary>Gets the C compiler found on the PATH, or <see langword="null"/>.</summary>
    public static string? Compiler { get; } = new[] { "cc", "gcc", "clang" }.Select(Find).FirstOrDefault(p => p is not null);

    public static bool IsAvailable => Compiler is not null;

    /// <summary>Builds the client and starts it on the monitor at <paramref name="socketPath"/>.</summary>
    public static NativeFloorClient Start(string socketPath)
    {
        var directory = Directory.CreateTempSubdirectory("qmpbench-floor-").FullName;
        try
        {
            var source = Path.Combine(directory, "qmpfloor.c");
            var binary = Path.Combine(directory, "qmpfloor");
            using (var resource = typeof(NativeFloorClient).Assembly.GetManifestResourceStream("qmpfloor.c")
                ?? throw new InvalidOperationException("qmpfloor.c is not embedded in the benchmark assembly."))
            using (var file = File.Create(source))
            {
                resource.CopyTo(file);
            }

            Run(Compiler ?? throw new InvalidOperationException("No C compiler (cc, gcc or clang) was found."), "-O2", "-o", binary, source);
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(socketPath);
            var process = Process.Start(start) ?? throw new InvalidOperationException("qmpfloor did not start.");
            process.StandardInput.AutoFlush = true;
            return new NativeFloorClient(process, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary><paramref name="count"/> <c>query-status</c>, one at a time.</summary>
    public void Sequential(int count) => Job($"seq {count}");

    /// <summary><paramref name="total"/> <c>query-status</c>, <paramref name="window"/> kept unanswered.</summary>
    public void Window(int total, int window) => Job($"window {total} {window}");

    /// <summary><paramref name="count"/> commands alternating <c>cont</c> and <c>stop</c>, each with its event.</summary>
    public void EventRoundTrips(int count) => Job($"events {count}");

    /// <summary>This process's <c>getrusage(RUSAGE_SELF)</c> so far.</summary>
    public ProcessUsage Usage()
    {
        _process.StandardInput.WriteLine("usage");
        var answer = _process.StandardOutput.ReadLine()?.Split(' ');
        if (answer is not ["ok", _, _, _, _])
        {
            throw new InvalidOperationException($"qmpfloor failed on 'usage' (answered '{string.Join(' ', answer ?? [])}').");
        }

        return new ProcessUsage(long.Parse(answer[1], CultureInfo.InvariantCulture), long.Parse(answer[2], CultureInfo.InvariantCulture), long.Parse(answer[3], CultureInfo.InvariantCulture), long.Parse(answer[4], CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private void Job(string line)
    {
        _process.StandardInput.WriteLine(line);
        var answer = _process.StandardOutput.ReadLine();
        if (answer != "ok")
        {
            throw new InvalidOperationException($"qmpfloor failed on '{line}' (exit code {(_process.HasExited ? _process.ExitCode : "none yet")}).");
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {errors}");
        }
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
