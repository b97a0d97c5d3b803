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

            // One-time work (static initialisers such as the telemetry instruments, caches, the thread's encoder state)
            // is done on the first input, before it runs: the instrumented library can only run inside Fuzzer.Run (its
            // coverage map is AFL++'s shared memory). Left to a real input, those edges appear once in one calibration
            // run and AFL++ counts them as unstable for good (they cost the engine target about 5 points of stability).
            // So the warm-up runs every seed given (files or folders) and a built-in conversation under every option.
            var warm = false;
            Fuzzer.Run(stream =>
            {
                if (!warm)
                {
                    warm = true;
                    WarmUp(target, args.Skip(2));
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

    private static void WarmUp(Action<byte[]> target, IEnumerable<string> paths)
    {
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]))
        {
            Try(target, File.ReadAllBytes(file));
        }

        var conversation = """
            {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}
            {"return": {}}
            {"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}
            {"error": {"class": "GenericError", "desc": "no"}, "id": 2}
            {"timestamp": {"seconds": 1, "microseconds": 3}, "event": "SHUTDOWN", "data": {"guest": false}}
            {"timestamp": {"seconds": 1, "microseconds": 4}, "event": "RESET", "data": {}}
            {"timestamp": {"seconds": 1, "microseconds": 5}, "event": "RESUME"}
            {"return": {"status": "running"}, "id": 1}
            {"return": [1, "a", null, true, 1.5]}
            {"error": {"class": "CommandNotFound", "desc": "x"}}
            {"return": {}}
            {"return": {}}
            {"return": {}}
            {"return": {}}
            {"return": {}}
            {"QMP": {}}
            [1]
            """u8.ToArray();
        var arguments = """{"qom-type":"secret","data":"s","password":"p","n":[1,{"passwd":2}]}"""u8.ToArray();
        foreach (var config in new byte[] { 0, 1, 6, 0x0F, 0x10, 0x20, 0x40, 0x80, 0xFF, 0x1F, 0x5F })
        {
            foreach (var body in new[] { conversation, arguments })
            {
                Try(target, [0xFF, config, .. body]);
            }
        }

        Try(target, conversation);
        Try(target, arguments);
    }

    private static void Try(Action<byte[]> target, byte[] input)
    {
        try
        {
            target(input);
        }
        catch (Exception)
        {
            // A warm-up input that is a finding is found again under AFL++, as a seed or a mutation.
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
