using System.Text.Json;
using Qmp.Net.Introspection;

namespace Qmp.Net.Tests.Introspection;

/// <summary>The schema model against a <c>query-qmp-schema</c> reply recorded from QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18).</summary>
public sealed class QmpSchemaTests
{
    private static readonly Lazy<QmpSchema> s_qemu72 = new(() => Load("query-qmp-schema-7.2.json"));

    private static QmpSchema Schema => s_qemu72.Value;

    [Test]
    public void Recorded_schema_has_every_command_and_event_of_QEMU_7_2()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Schema.Commands, Has.Count.EqualTo(216));
            Assert.That(Schema.Events, Has.Count.EqualTo(52));
            Assert.That(Schema.Commands["query-status"].Arguments.Members, Is.Empty);
            Assert.That(Schema.Commands["migrate-pause"].AllowOob, Is.True);
            Assert.That(Schema.Commands["query-status"].AllowOob, Is.False);
            Assert.That(Schema.Commands["device_add"].Features, Does.Contain("json-cli"));
        });
    }

    [Test]
    public void Blockdev_add_arguments_are_a_union_on_driver_with_a_branch_per_driver()
    {
        var arguments = Schema.Commands["blockdev-add"].Arguments;
        Assert.Multiple(() =>
        {
            Assert.That(arguments.Tag, Is.EqualTo("driver"));
            Assert.That(arguments.FindMember("driver")!.Type, Is.InstanceOf<QmpSchemaEnumType>());
            Assert.That(arguments.FindMember("node-name")!.IsOptional, Is.True);
            Assert.That(arguments.FindMember("driver")!.IsOptional, Is.False);
            Assert.That(arguments.FindVariant("file")!.Type.FindMember("filename"), Is.Not.Null);
            Assert.That(arguments.MembersFor("file").Select(m => m.Name), Does.Contain("node-name").And.Contain("filename"));
            Assert.That(arguments.MembersFor(null).Select(m => m.Name), Does.Not.Contain("filename"));
        });
    }

    [Test]
    public void Types_resolve_builtins_arrays_enums_and_alternates()
    {
        var status = (QmpSchemaObjectType)Schema.Commands["query-status"].Returns;
        var runState = (QmpSchemaEnumType)status.FindMember("status")!.Type;
        var transaction = Schema.Commands["transaction"].Arguments.FindMember("actions")!.Type;
        var qcow2File = Schema.Commands["blockdev-add"].Arguments.FindVariant("qcow2")!.Type.FindMember("file")!.Type;
        Assert.Multiple(() =>
        {
            Assert.That(runState.Contains("running"), Is.True);
            Assert.That(runState.Contains("no-such-state"), Is.False);
            Assert.That(((QmpSchemaBuiltinType)status.FindMember("running")!.Type).JsonType, Is.EqualTo("boolean"));
            Assert.That(transaction, Is.InstanceOf<QmpSchemaArrayType>());
            Assert.That(((QmpSchemaArrayType)transaction).ElementType, Is.InstanceOf<QmpSchemaObjectType>());
            Assert.That(qcow2File, Is.InstanceOf<QmpSchemaAlternateType>());
            Assert.That(((QmpSchemaAlternateType)qcow2File).Choices.Select(c => c.GetType().Name),
                Is.EquivalentTo(new[] { nameof(QmpSchemaObjectType), nameof(QmpSchemaBuiltinType) }));
            Assert.That(Schema.GetType("str"), Is.InstanceOf<QmpSchemaBuiltinType>());
            Assert.That(() => Schema.GetType("no-such-type"), Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("no-such-type"));
        });
    }

    [TestCase("blockdev-add", true)]
    [TestCase("no-such-command", false)]
    [TestCase("SHUTDOWN", true)]
    [TestCase("blockdev-add/arg-type/+file/drop-cache", true)]
    [TestCase("blockdev-add/arg-type/+file/filename", true)]
    [TestCase("blockdev-add/arg-type/+file/node-name", true)]
    [TestCase("blockdev-add/arg-type/+file/no-such-member", false)]
    [TestCase("blockdev-add/arg-type/+no-such-driver", false)]
    [TestCase("blockdev-add/arg-type/driver/^null-co", true)]
    [TestCase("blockdev-add/arg-type/driver/^no-such-driver", false)]
    [TestCase("blockdev-add/arg-type/+qcow2/file/+file/filename", true)]
    [TestCase("query-status/ret-type/status/^running", true)]
    [TestCase("query-status/ret-type/running", true)]
    [TestCase("query-status/arg-type/running", false)]
    [TestCase("transaction/arg-type/actions/type/^block-dirty-bitmap-add", true)]
    [TestCase("SHUTDOWN/arg-type/reason/^host-qmp-quit", true)]
    [TestCase("SHUTDOWN/ret-type", false)]
    [TestCase("device_add/$json-cli", true)]
    [TestCase("device_add/$no-such-feature", false)]
    [TestCase("blockdev-snapshot/$allow-write-only-overlay", true)]
    [TestCase("blockdev-add/arg-type/+file/$dynamic-auto-read-only", true)]
    [TestCase("blockdev-add/arg-type/+file/x-check-cache-dropped/$unstable", true)]
    [TestCase("blockdev-add/arg-type/+file/filename/$unstable", false)]
    public void Feature_queries_follow_members_branches_enums_and_features(string query, bool expected) =>
        Assert.That(Schema.Has(query), Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("blockdev-add//driver")]
    [TestCase("blockdev-add/args")]
    [TestCase("device_add/$json-cli/driver")]
    [TestCase("query-status/ret-type/status/^running/x")]
    public void Malformed_feature_queries_are_argument_errors(string query) =>
        Assert.That(() => Schema.Has(query), Throws.InstanceOf<ArgumentException>());

    [Test]
    public void Valid_arguments_have_no_errors()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Schema.Validate("query-status", null), Is.Empty);
            Assert.That(Schema.Validate("query-status", Json("{}")), Is.Empty);
            Assert.That(Schema.Validate("blockdev-add", Json("""{"driver":"null-co","node-name":"n0","size":1048576}""")), Is.Empty);
            Assert.That(Schema.Validate("blockdev-add", Json("""{"driver":"qcow2","node-name":"q","file":{"driver":"file","filename":"/tmp/x.qcow2"}}""")), Is.Empty);
            Assert.That(Schema.Validate("blockdev-add", Json("""{"driver":"qcow2","node-name":"q","file":"other-node"}""")), Is.Empty);
            Assert.That(Schema.Validate("qom-set", Json("""{"path":"/machine","property":"x","value":[1,{"a":null}]}""")), Is.Empty);
            Assert.That(Schema.Validate("device_add", Json("""{"driver":"usb-storage","id":"u","drive":"n0","removable":true}""")), Is.Empty);
            Assert.That(Schema.Validate("transaction", Json("""{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n0","name":"b"}}]}""")), Is.Empty);
        });
    }

    [Test]
    public void An_unknown_command_is_one_error_at_the_root()
    {
        var errors = Schema.Validate("no-such-command", null);
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Has.Property(nameof(QmpSchemaError.Kind)).EqualTo(QmpSchemaErrorKind.UnknownCommand)
            .And.Property(nameof(QmpSchemaError.Path)).Empty
            .And.Property(nameof(QmpSchemaError.Message)).Contains("no-such-command"));
    }

    [TestCase("query-status", """{"bogus":1}""", "bogus", QmpSchemaErrorKind.UnknownMember)]
    [TestCase("query-status", "[1]", "", QmpSchemaErrorKind.WrongType)]
    [TestCase("blockdev-add", """{"driver":"file","node-name":"f"}""", "filename", QmpSchemaErrorKind.MissingMember)]
    [TestCase("blockdev-add", """{"driver":"no-such-driver"}""", "driver", QmpSchemaErrorKind.UnknownEnumValue)]
    [TestCase("blockdev-add", """{"driver":"null-co","size":"big"}""", "size", QmpSchemaErrorKind.WrongType)]
    [TestCase("blockdev-add", """{"driver":"null-co","size":1.5}""", "size", QmpSchemaErrorKind.WrongType)]
    [TestCase("blockdev-add", """{"driver":"null-co","read-only":null}""", "read-only", QmpSchemaErrorKind.WrongType)]
    [TestCase("blockdev-add", """{"driver":"qcow2","file":3}""", "file", QmpSchemaErrorKind.NoMatchingBranch)]
    [TestCase("blockdev-add", """{"driver":"qcow2","file":{"driver":"file","filename":"/x","bogus":true}}""", "file.bogus", QmpSchemaErrorKind.UnknownMember)]
    [TestCase("blockdev-add", """{"driver":"qcow2","file":{"driver":"file"}}""", "file.filename", QmpSchemaErrorKind.MissingMember)]
    [TestCase("transaction", """{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"n"}}]}""", "actions[0].data.name", QmpSchemaErrorKind.MissingMember)]
    [TestCase("transaction", """{"actions":{"type":"x"}}""", "actions", QmpSchemaErrorKind.WrongType)]
    [TestCase("human-monitor-command", null, "command-line", QmpSchemaErrorKind.MissingMember)]
    [TestCase("device_add", """{"id":"x"}""", "driver", QmpSchemaErrorKind.MissingMember)]
    public void A_mistake_is_reported_with_its_member_path(string command, string? arguments, string path, QmpSchemaErrorKind kind)
    {
        var errors = Schema.Validate(command, arguments is null ? null : Json(arguments));
        Assert.That(errors, Has.Count.EqualTo(1), string.Join(Environment.NewLine, errors));
        Assert.Multiple(() =>
        {
            Assert.That(errors[0].Path, Is.EqualTo(path));
            Assert.That(errors[0].Kind, Is.EqualTo(kind));
            Assert.That(errors[0].Message, Is.Not.Empty);
        });
    }

    [Test]
    public void Every_mistake_is_reported_not_only_the_first()
    {
        var errors = Schema.Validate("blockdev-add", Json("""{"driver":"file","bogus":1,"read-only":"yes"}"""));
        Assert.That(errors.Select(e => (e.Path, e.Kind)), Is.EquivalentTo(new[]
        {
            ("bogus", QmpSchemaErrorKind.UnknownMember),
            ("read-only", QmpSchemaErrorKind.WrongType),
            ("filename", QmpSchemaErrorKind.MissingMember),
        }));
    }

    [Test]
    public void A_misspelt_enum_value_or_member_gets_a_suggestion()
    {
        var value = Schema.Validate("blockdev-add", Json("""{"driver":"nul-co"}""")).Single();
        var member = Schema.Validate("blockdev-add", Json("""{"driver":"null-co","node-nam":"n"}""")).Single();
        Assert.Multiple(() =>
        {
            Assert.That(value.Message, Does.Contain("'nul-co'").And.Contain("Did you mean 'null-co'?"));
            Assert.That(member.Message, Does.Contain("'node-nam'").And.Contain("Did you mean 'node-name'?"));
        });
    }

    [Test]
    public void An_unknown_union_tag_is_the_only_error_not_the_members_of_the_branch_it_failed_to_select()
    {
        var errors = Schema.Validate("blockdev-add", Json("""{"driver":"fil","filename":"/x","node-name":"n"}"""));

        Assert.That(errors.Select(e => (e.Path, e.Kind)), Is.EqualTo(new[] { ("driver", QmpSchemaErrorKind.UnknownEnumValue) }));
        Assert.That(Schema.Validate("blockdev-add", Json("""{"driver":"file","filenam":"/x"}""")).Select(e => e.Kind),
            Does.Contain(QmpSchemaErrorKind.UnknownMember), "with a known tag, unknown members are still reported");
    }

    [Test]
    public void Nothing_close_gets_no_suggestion()
    {
        var error = Schema.Validate("blockdev-add", Json("""{"driver":"zzzzzzzz"}""")).Single();
        Assert.That(error.Message, Does.Not.Contain("Did you mean"));
    }

    [TestCase("{}", "array")]
    [TestCase("[1]", "not an object")]
    [TestCase("""[{"meta-type":"builtin"}]""", "no name")]
    [TestCase("""[{"name":"x"}]""", "no meta-type")]
    [TestCase("""[{"name":"a","meta-type":"array","element-type":"missing"}]""", "'missing'")]
    [TestCase("""[{"name":"c","meta-type":"command","arg-type":"str","ret-type":"str"},{"name":"str","meta-type":"builtin","json-type":"string"}]""", "must be an object")]
    [TestCase("""[{"name":"t","meta-type":"builtin","json-type":"string"},{"name":"t","meta-type":"builtin","json-type":"int"}]""", "twice")]
    public void A_malformed_schema_is_a_format_error_that_says_what_is_wrong(string json, string expected) =>
        Assert.That(() => QmpSchema.Parse(Json(json)), Throws.TypeOf<FormatException>().With.Message.Contains(expected));

    [Test]
    public void Entries_may_come_in_any_order_and_refer_to_themselves()
    {
        var schema = QmpSchema.Parse(Json("""
            [
              {"name":"cmd","meta-type":"command","arg-type":"node","ret-type":"0"},
              {"name":"node","meta-type":"object","members":[{"name":"children","type":"[node]","default":null},{"name":"v","type":"int"}]},
              {"name":"[node]","meta-type":"array","element-type":"node"},
              {"name":"0","meta-type":"object","members":[]},
              {"name":"int","meta-type":"builtin","json-type":"int"},
              {"name":"future","meta-type":"something-new"}
            ]
            """));
        Assert.Multiple(() =>
        {
            Assert.That(schema.Validate("cmd", Json("""{"v":1,"children":[{"v":2,"children":[]}]}""")), Is.Empty);
            Assert.That(schema.Validate("cmd", Json("""{"v":1,"children":[{"children":[]}]}""")).Single().Path, Is.EqualTo("children[0].v"));
            Assert.That(schema.Has("cmd/arg-type/children/children/children/v"), Is.True);
            Assert.That(schema.GetType("future"), Is.InstanceOf<QmpSchemaBuiltinType>().With.Property("JsonType").EqualTo("value"));
        });
    }

    [Test]
    public void An_enum_listed_as_plain_values_like_older_QEMUs_is_read()
    {
        var schema = QmpSchema.Parse(Json("""[{"name":"e","meta-type":"enum","values":["a","b"]}]"""));
        Assert.That(((QmpSchemaEnumType)schema.GetType("e")).Values.Select(v => v.Name), Is.EqualTo(new[] { "a", "b" }));
    }

    internal static QmpSchema Load(string file)
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Introspection", "Data", file);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return QmpSchema.Parse(document.RootElement);
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
