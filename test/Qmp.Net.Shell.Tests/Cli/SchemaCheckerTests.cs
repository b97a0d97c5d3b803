using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Tests.Support;

namespace Qmp.Net.Shell.Tests.Cli;

/// <summary>Checks against QEMU 7.2's recorded schema, and where they point.</summary>
public class SchemaCheckerTests
{
    private static readonly SchemaChecker s_checker = new(RecordedSchemas.Qemu72);

    private static (RequestProblem Problem, string Pointed) Single(string line)
    {
        var request = LineParser.Parse(line)!;
        var problems = s_checker.Check(request);
        Assert.That(problems, Has.Count.EqualTo(1), string.Join("; ", problems));
        var problem = problems[0];
        return (problem, line.Substring(problem.Position, problem.Length));
    }

    [Test]
    public void A_valid_line_has_no_problems()
    {
        Assert.That(s_checker.Check(LineParser.Parse("blockdev-add driver=qcow2 node-name=d0 file.driver=file file.filename=/tmp/x")!), Is.Empty);
        Assert.That(s_checker.Check(LineParser.Parse("query-status")!), Is.Empty);
    }

    [Test]
    public void An_unknown_argument_is_pointed_at_by_its_key()
    {
        var (problem, pointed) = Single("blockdev-add driver=file node-name=a filename=x fil=y");
        Assert.That(pointed, Is.EqualTo("fil"));
        Assert.That(problem.Message, Does.Contain("Unknown member 'fil'"));
    }

    [Test]
    public void A_wrong_type_is_pointed_at_by_its_value()
    {
        var (problem, pointed) = Single("blockdev-add driver=file node-name=a filename=x read-only=maybe");
        Assert.That(pointed, Is.EqualTo("maybe"));
        Assert.That(problem.Message, Does.StartWith("read-only:"));
    }

    [Test]
    public void A_nested_mistake_is_pointed_at_by_its_dotted_key()
    {
        var (problem, pointed) = Single("blockdev-add driver=qcow2 node-name=a file.driver=nosuch");
        Assert.That(pointed, Is.EqualTo("nosuch"));
        Assert.That(problem.Message, Does.StartWith("file.driver:").And.Contain("'nosuch' is not one of"));
    }

    [Test]
    public void A_missing_mandatory_argument_points_at_the_command_or_the_object_that_lacks_it()
    {
        var (root, atRoot) = Single("blockdev-del");
        Assert.That(atRoot, Is.EqualTo("blockdev-del"));
        Assert.That(root.Message, Does.Contain("'node-name'"));

        var (nested, atNested) = Single("blockdev-add driver=qcow2 node-name=a file.driver=file");
        Assert.That(atNested, Is.EqualTo("file"));
        Assert.That(nested.Message, Does.Contain("'filename'"));
    }

    [Test]
    public void An_unknown_command_points_at_its_name()
    {
        var (problem, pointed) = Single("query-nothing a=1");
        Assert.That(pointed, Is.EqualTo("query-nothing"));
        Assert.That(problem.Message, Does.Contain("query-nothing"));
    }

    [Test]
    public void A_number_or_boolean_where_only_a_string_fits_is_sent_as_that_string()
    {
        var request = LineParser.Parse("device_del id=1")!;
        Assert.That(s_checker.Check(request), Is.Empty);
        Assert.That(request.Arguments!.ToJsonString(), Is.EqualTo("""{"id":"1"}"""));

        var nested = LineParser.Parse("blockdev-add driver=qcow2 node-name=2024 file.driver=file file.filename=7 read-only=true")!;
        Assert.That(s_checker.Check(nested), Is.Empty);
        Assert.That(nested.Arguments!.ToJsonString(), Is.EqualTo(
            """{"driver":"qcow2","node-name":"2024","file":{"driver":"file","filename":"7"},"read-only":true}"""));
    }

    [Test]
    public void A_transaction_action_s_mistake_is_pointed_at_inside_its_action()
    {
        var line = "transaction( block-dirty-bitmap-add node=d0 name=b0, block-dirty-bitmap-add node=d1 nam=b1 )";
        var problems = s_checker.Check(LineParser.Parse(line)!);
        Assert.That(problems.Select(p => line.Substring(p.Position, p.Length)), Does.Contain("nam"));
    }
}
