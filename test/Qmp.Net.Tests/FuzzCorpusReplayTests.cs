using Qmp.Net.Fuzz.Targets;

namespace Qmp.Net.Tests;

/// <summary>Every committed fuzz input — the seeds recorded from QEMU 7.2 and 10.0, the hand-written ones and every
/// finding kept in <c>regressions/</c> — through every target that reads its corpus, the whole-client target included.
/// Each must end as documented (a result or a <see cref="QmpException"/>, every task finished, no disagreement with the
/// reference parsers).</summary>
public class FuzzCorpusReplayTests
{
    private static readonly string s_corpus = Path.Combine(AppContext.BaseDirectory, "Fuzz", "corpus");

    public static IEnumerable<TestCaseData> Inputs()
    {
        foreach (var corpus in new[] { "server", "arguments" })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(s_corpus, corpus), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                foreach (var target in FuzzTargets.ReplayedFrom(corpus))
                {
                    var name = Path.GetRelativePath(s_corpus, file);
                    yield return new TestCaseData(target, file).SetName($"{target}: {name}");
                }
            }
        }
    }

    [Test]
    public void The_corpus_holds_seeds_recorded_from_both_QEMUs_and_the_findings()
    {
        var server = Directory.GetFiles(Path.Combine(s_corpus, "server")).Select(Path.GetFileName).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(server, Has.Some.StartsWith("qemu-7.2-"));
            Assert.That(server, Has.Some.StartsWith("qemu-10.0-"));
            Assert.That(Directory.GetFiles(Path.Combine(s_corpus, "server", "regressions")), Is.Not.Empty);
            Assert.That(Directory.GetFiles(Path.Combine(s_corpus, "arguments", "regressions")), Is.Not.Empty);
        });
    }

    [TestCaseSource(nameof(Inputs))]
    public void A_committed_input_ends_as_documented(string target, string file)
    {
        var input = File.ReadAllBytes(file);

        Assert.That(() => FuzzTargets.All[target](input), Throws.Nothing);
    }
}
