using SharpFuzz;

namespace Qmp.Net.Fuzz;

/// <summary>Entry point: under AFL++ (see fuzz.sh) it runs <see cref="FuzzTargets.Run"/> on every input;
/// with <c>--replay FILE|DIR...</c> it runs the given inputs once, for regression checks and triage.</summary>
public static class Program
{
    /// <summary>Runs the fuzzer or replays inputs.</summary>
    /// <param name="args">Nothing under AFL++, or <c>--replay</c> followed by files or directories.</param>
    /// <returns>0 when every replayed input ended as documented.</returns>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--replay")
        {
            var files = args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Where(f => !f.EndsWith("README.txt", StringComparison.Ordinal));
            var failed = 0;
            foreach (var file in files)
            {
                try
                {
                    FuzzTargets.Run(File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    failed++;
                    Console.Error.WriteLine($"{file}: {e}");
                }
            }

            Console.WriteLine(failed == 0 ? "all inputs ended as documented" : $"{failed} inputs failed");
            return failed == 0 ? 0 : 1;
        }

        Fuzzer.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            FuzzTargets.Run(copy.ToArray());
        });
        return 0;
    }
}
