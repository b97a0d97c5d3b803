using System.Text.RegularExpressions;

namespace Snippets;

/// <summary>README.md's C# blocks are the regions of <see cref="ReadmeSnippets"/>, in order: GitHub cannot include
/// files, so the README holds copies, and this test fails when a copy and its compiled region differ.</summary>
public sealed partial class ReadmeSyncTests
{
    private static readonly string[] Regions = ["readme-intro", "readme-tour", "readme-typed"];

    [Test]
    public void Every_csharp_block_of_the_README_is_its_compiled_region_with_the_snippet_files_usings()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var source = File.ReadAllText(Path.Combine(root, "samples", "Snippets", "ReadmeSnippets.cs")).ReplaceLineEndings("\n");
        var usings = source.Split('\n').Where(l => l.StartsWith("using ", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();

        Assert.That(blocks, Has.Count.EqualTo(Regions.Length), "one README C# block per region");
        for (var i = 0; i < Regions.Length; i++)
        {
            var lines = blocks[i].Split('\n').ToList();
            var header = lines.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal)).ToList();
            var body = lines.Skip(header.Count).SkipWhile(l => l.Length == 0);

            Assert.That(header, Is.SubsetOf(usings), $"the usings of README block {i + 1}");
            Assert.That(string.Join("\n", body).TrimEnd(), Is.EqualTo(Region(source, Regions[i])), $"README block {i + 1} against #region {Regions[i]}");
        }
    }

    private static string Region(string source, string name)
    {
        var lines = source.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == "#region " + name);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"#region {name}");
        var indent = lines[start].Length - lines[start].TrimStart().Length;
        var body = lines.Skip(start + 1).TakeWhile(l => l.Trim() != "#endregion")
            .Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l.TrimStart());
        return string.Join("\n", body).TrimEnd();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Qmp.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Qmp.Net.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }

    [GeneratedRegex(@"```csharp\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
