namespace Qmp.Net.Fuzz.Targets;

/// <summary>The fuzz targets by name, and which inputs each replays.</summary>
public static class FuzzTargets
{
    /// <summary>The coverage-guided targets (one AFL++ campaign each), and the client target, which only replays.</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["framing"] = input => FramingTarget.Run(input),
        ["engine"] = input => EngineTarget.Run(input),
        ["encoder"] = input => EncoderTarget.Run(input),
        ["client"] = ClientTarget.Run,
    };

    /// <summary>The targets AFL++ runs; <c>client</c> is not among them (it is not deterministic).</summary>
    public static IReadOnlyList<string> Guided { get; } = ["framing", "engine", "encoder"];

    /// <summary>The corpus folder (under <c>corpus/</c>) of a target's inputs: servers' byte streams for the framing,
    /// engine and client targets, argument objects for the encoder.</summary>
    /// <param name="target">The target's name.</param>
    /// <returns>The folder's name.</returns>
    public static string CorpusOf(string target) => target == "encoder" ? "arguments" : "server";

    /// <summary>The targets that replay inputs from a corpus folder.</summary>
    /// <param name="corpus">The folder's name (<c>server</c> or <c>arguments</c>).</param>
    /// <returns>The targets' names.</returns>
    public static IEnumerable<string> ReplayedFrom(string corpus) => All.Keys.Where(t => CorpusOf(t) == corpus);
}
