using Qmp.Net.Shell.Completion;
using Qmp.Net.Shell.Tests.Support;

namespace Qmp.Net.Shell.Tests.Completion;

/// <summary>Completion against the schema QEMU 7.2 really sent (recorded in TestData).</summary>
public class SchemaCompleterTests
{
    private static readonly SchemaCompleter s_completer = new(RecordedSchemas.Qemu72);

    private static IReadOnlyList<string> Complete(string line) => s_completer.Complete(line, line.Length).Candidates;

    private static string Apply(string line)
    {
        var result = s_completer.Complete(line, line.Length);
        Assert.That(result.Candidates, Has.Count.EqualTo(1), string.Join(", ", result.Candidates));
        return line[..result.ReplaceStart] + result.Candidates[0];
    }

    [Test]
    public void A_command_prefix_offers_every_command_that_starts_with_it()
    {
        Assert.That(Complete("query-sta"), Is.EqualTo(new[] { "query-stats ", "query-stats-schemas ", "query-status " }));
        Assert.That(Apply("query-statu"), Is.EqualTo("query-status "));
        Assert.That(Apply("  qmp_cap"), Is.EqualTo("  qmp_capabilities "));
    }

    [Test]
    public void The_first_word_offers_the_shell_commands_and_transaction_too()
    {
        Assert.That(Complete("he"), Is.EqualTo(new[] { "help " }));
        Assert.That(Complete("jo"), Does.Contain("jobs ").And.Contain("job-cancel "));
        Assert.That(Complete("transaction"), Does.Contain("transaction(").And.Contain("transaction "));
        Assert.That(Complete(string.Empty), Has.Count.EqualTo(RecordedSchemas.Qemu72.Commands.Count + SchemaCompleter.Builtins.Count + 1));
    }

    [Test]
    public void Argument_names_end_with_an_equals_sign_and_objects_with_a_dot()
    {
        Assert.That(Complete("blockdev-del "), Is.EqualTo(new[] { "node-name=" }));
        Assert.That(Complete("blockdev-add dis"), Is.EqualTo(new[] { "discard=" }));
        Assert.That(Complete("blockdev-add ca"), Is.EqualTo(new[] { "cache." }));
        Assert.That(Complete("blockdev-add cache."), Is.EqualTo(new[] { "direct=", "no-flush=" }));
    }

    [Test]
    public void The_union_tag_typed_earlier_selects_the_branch_whose_members_are_offered()
    {
        var qcow2 = Complete("blockdev-add driver=qcow2 ");
        Assert.That(qcow2, Does.Contain("backing=").And.Contain("encrypt.").And.Contain("file=").And.Contain("file."));
        Assert.That(qcow2, Does.Not.Contain("filename="), "filename belongs to the file driver's branch");
        Assert.That(qcow2, Does.Not.Contain("driver="), "a key already typed is not offered again");
        Assert.That(Complete("blockdev-add driver=file "), Does.Contain("filename=").And.Contain("aio="));
        Assert.That(Complete("blockdev-add "), Does.Not.Contain("filename="), "no branch before the tag is typed");
    }

    [Test]
    public void Nested_keys_follow_an_alternate_to_its_object_choice_and_that_object_s_own_union()
    {
        Assert.That(Complete("blockdev-add driver=qcow2 file.dr"), Is.EqualTo(new[] { "driver=" }));
        Assert.That(Apply("blockdev-add driver=qcow2 file.driver=file file.filen"), Is.EqualTo("blockdev-add driver=qcow2 file.driver=file file.filename="));
        Assert.That(Complete("blockdev-add driver=qcow2 file.filen"), Is.Empty, "file's branch is unknown until file.driver is typed");
    }

    [Test]
    public void After_the_equals_sign_enum_values_and_booleans_are_offered()
    {
        Assert.That(Complete("blockdev-add driver=qc"), Is.EqualTo(new[] { "qcow ", "qcow2 " }));
        Assert.That(Complete("blockdev-add read-only="), Is.EqualTo(new[] { "true ", "false " }));
        Assert.That(Complete("blockdev-add driver=file aio="), Is.EqualTo(new[] { "threads ", "native ", "io_uring " }));
        Assert.That(Complete("blockdev-add driver=qcow2 file.driver=fi"), Is.EqualTo(new[] { "file " }));
        Assert.That(Complete("blockdev-add node-name="), Is.Empty, "a free string has nothing to offer");
    }

    [Test]
    public void Transaction_actions_and_their_data_members_are_completed_after_each_comma()
    {
        Assert.That(Apply("transaction( block-dirty-bitmap-ad"), Is.EqualTo("transaction( block-dirty-bitmap-add "));
        Assert.That(Complete("transaction( block-dirty-bitmap-add node=d0 na"), Is.EqualTo(new[] { "name=" }));
        Assert.That(Apply("transaction( abort, blockdev-snapshot-s"), Is.EqualTo("transaction( abort, blockdev-snapshot-sync "));
        Assert.That(Complete("transaction( block-dirty-bitmap-add node=d0 name=b persistent="), Is.EqualTo(new[] { "true ", "false " }));
    }

    [Test]
    public void Help_completes_commands_and_schema_completes_commands_events_and_named_types()
    {
        Assert.That(Complete("help query-sta"), Has.Count.EqualTo(3));
        Assert.That(Complete("schema RES"), Is.EqualTo(new[] { "RESET ", "RESUME " }));
        Assert.That(Complete("schema in"), Does.Contain("int "));
    }

    [TestCase("!info sta")]
    [TestCase("{\"execute\": \"query-sta")]
    [TestCase("no-such-command ar")]
    [TestCase("query-status x=[1, ")]
    public void Lines_the_schema_cannot_tell_anything_about_get_no_candidates(string line)
    {
        Assert.That(Complete(line), Is.Empty);
    }

    [Test]
    public void The_cursor_in_the_middle_of_a_line_completes_the_word_before_it()
    {
        const string line = "blockdev-del nod  query";
        var result = s_completer.Complete(line, "blockdev-del nod".Length);
        Assert.That(result.ReplaceStart, Is.EqualTo("blockdev-del ".Length));
        Assert.That(result.Candidates, Is.EqualTo(new[] { "node-name=" }));
    }

    [TestCaseSource(typeof(RecordedSchemas), nameof(RecordedSchemas.Versions))]
    public void Every_recorded_QEMU_completes_its_own_commands_and_blockdev_add_branches(string version)
    {
        var schema = RecordedSchemas.Load(version);
        var completer = new SchemaCompleter(schema);
        foreach (var name in schema.Commands.Keys)
        {
            Assert.That(completer.Complete(name, name.Length).Candidates, Does.Contain(name + " "), name);
        }

        var line = "blockdev-add driver=file ";
        Assert.That(completer.Complete(line, line.Length).Candidates, Does.Contain("filename="));
    }
}
