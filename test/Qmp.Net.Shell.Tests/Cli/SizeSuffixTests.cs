using System.Text.Json.Nodes;
using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Tests.Support;

namespace Qmp.Net.Shell.Tests.Cli;

/// <summary>Size suffixes (<c>max-bandwidth=4M</c>) for members of QAPI type <c>size</c>.</summary>
public class SizeSuffixTests
{
    [TestCase("4M", 4UL << 20)]
    [TestCase("4m", 4UL << 20)]
    [TestCase("4MiB", 4UL << 20)]
    [TestCase("4mb", 4UL << 20)]
    [TestCase("1K", 1024UL)]
    [TestCase("1.5G", 3UL << 29)]
    [TestCase("2T", 2UL << 40)]
    [TestCase("1P", 1UL << 50)]
    [TestCase("1E", 1UL << 60)]
    [TestCase("512B", 512UL)]
    [TestCase("512", 512UL)]
    public void A_size_with_a_binary_suffix_expands(string text, ulong expected)
    {
        Assert.That(SizeSuffix.TryParse(text, out var value), Is.True);
        Assert.That(value, Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("M")]
    [TestCase("4X")]
    [TestCase("-4M")]
    [TestCase("4 M")]
    [TestCase("16E")]
    [TestCase("0.1B")]
    [TestCase("nope")]
    public void Anything_else_is_not_a_size(string text)
    {
        Assert.That(SizeSuffix.TryParse(text, out _), Is.False);
    }

    [Test]
    public void The_size_table_is_what_the_QAPI_facts_say()
    {
        var expected = SizeMembersGenerator.Render(SizeMembersGenerator.Collect());
        if (Environment.GetEnvironmentVariable("QMP_REGENERATE") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(SizeMembersGenerator.OutputPath)!);
            File.WriteAllText(SizeMembersGenerator.OutputPath, expected);
        }

        Assert.That(File.ReadAllText(SizeMembersGenerator.OutputPath), Is.EqualTo(expected), "run the test with QMP_REGENERATE=1");
        Assert.That(SizeMembers.Paths, Does.Contain("migrate-set-parameters max-bandwidth").And.Contain("blockdev-create options.size"));
        Assert.That(SizeMembers.Paths, Does.Not.Contain("block_resize size"), "block_resize's size is an int in QAPI");
    }

    [Test]
    public void A_suffix_on_a_size_member_is_expanded_before_the_check_and_the_send()
    {
        var checker = new SchemaChecker(RecordedSchemas.Qemu72);
        var request = LineParser.Parse("migrate-set-parameters max-bandwidth=4M downtime-limit=300")!;
        Assert.That(checker.Check(request), Is.Empty);
        Assert.That(request.Arguments!["max-bandwidth"]!.GetValue<ulong>(), Is.EqualTo(4UL << 20));

        request = LineParser.Parse("blockdev-create job-id=j0 options.driver=file options.filename=/tmp/x options.size=64k")!;
        Assert.That(checker.Check(request), Is.Empty);
        Assert.That(request.Arguments!["options"]!["size"]!.GetValue<ulong>(), Is.EqualTo(64UL << 10));
    }

    [Test]
    public void A_suffix_on_an_int_member_that_is_not_a_size_is_refused_with_a_pointer()
    {
        var checker = new SchemaChecker(RecordedSchemas.Qemu72);
        var request = LineParser.Parse("block_resize node-name=d0 size=1G")!;
        var problems = checker.Check(request);
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0].Message, Does.Contain("size").And.Contain("not of QAPI type size"));
        Assert.That(request.Arguments!["size"], Is.InstanceOf<JsonValue>());
        Assert.That(request.Arguments!["size"]!.GetValue<string>(), Is.EqualTo("1G"));
    }
}
