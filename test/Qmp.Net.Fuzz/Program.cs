using Qmp.Net.Fuzz.Targets;
using SharpFuzz;

namespace Qmp.Net.Fuzz;

/// <summary>Entry point (see fuzz.sh and docs/reliability.md).</summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>--target NAME</c>: runs one target under AFL++ (persistent mode): framing, engine or encoder.</item>
/// <item><c>--replay [--target NAME] FILE|DIR...</c>: runs inputs once through every target that reads their corpus (or the
/// one named), for regression checks and triage.</item>
/// <item><c>--record QEMU OUTDIR [-L DIR]</c>: records what a real QEMU sends into seed files (<see cref="Recorder"/>).</item>
/// </list>
/// </remarks>
public static class Program
{
    /// <summary>Runs the fuzzer, replays inputs, or records seeds.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>0 on success.</returns>
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--target" && FuzzTargets.Guided.Contains(args[1]))
        {
            var target = FuzzTargets.All[args[1]];

            // One-time work (static initialisers, caches, the thread's encoder state) is done on the first input, before
            // it runs: the instrumented library can only run inside Fuzzer.Run (its coverage map is AFL++'s shared memory),
            // and this way only the very first execution differs from the later runs of the same input.
            var warm = false;
            Fuzzer.Run(stream =>
            {
                if (!warm)
                {
                    warm = true;
                    foreach (var file in args.Skip(2))
                    {
                        Try(target, File.ReadAllBytes(file));
                    }

                    Try(target, "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":2,\"major\":7},\"package\":\"\"},\"capabilities\":[\"oob\"]}}\r\n{\"return\":{}}\r\n"u8.ToArray());
                }

                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                target(copy.ToArray());
            });
            return 0;
        }

        if (args.Length >= 1 && args[0] == "--replay")
        {
            return Replay(args.Skip(1).ToList());
        }

        if (args.Length >= 3 && args[0] == "--record")
        {
            return Recorder.Record(args[1], args[2], args.Length >= 5 && args[3] == "-L" ? args[4] : null);
        }

        Console.Error.WriteLine("usage: Qmp.Net.Fuzz --target framing|engine|encoder [WARMUP...]");
        Console.Error.WriteLine("       Qmp.Net.Fuzz --replay [--target NAME] FILE|DIR...");
        Console.Error.WriteLine("       Qmp.Net.Fuzz --record QEMU OUTDIR [-L DIR]");
        return 2;
    }

    private static void Try(Action<byte[]> target, byte[] input)
    {
        try
        {
            target(input);
        }
        catch (FuzzFindingException)
        {
            // A warm-up input that is a finding is found again under AFL++.
        }
    }

    private static int Replay(List<string> args)
    {
        string? only = null;
        if (args.Count >= 2 && args[0] == "--target")
        {
            only = args[1];
            args = args.Skip(2).ToList();
        }

        var failed = 0;
        var runs = 0;
        foreach (var file in args.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith("README.txt", StringComparison.Ordinal) || file.EndsWith(".md", StringComparison.Ordinal))
            {
                continue;
            }

            var corpus = file.Contains("/arguments/", StringComparison.Ordinal) ? "arguments" : "server";
            foreach (var name in only is null ? FuzzTargets.ReplayedFrom(corpus) : [only])
            {
                runs++;
                try
                {
                    FuzzTargets.All[name](File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    failed++;
                    Console.Error.WriteLine($"{file} [{name}]: {e}");
                }
            }
        }

        Console.WriteLine(failed == 0 ? $"replay: {runs} runs, all ended as documented" : $"replay: {runs} runs, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
