using System.Text.Json;
using Qmp.Net.Introspection;

namespace Qmp.Net.Qapi.Tests.Check;

/// <summary>The walk that finds deprecated members and enum values in serialized arguments, on a small schema written in
/// query-qmp-schema's form (masked type names, as QEMU sends them).</summary>
public class DeprecatedUseTests
{
    // add-node: {name: str, file: alternate [str, node], extra?: [node]}; node: union on driver (enum with 'old'
    // deprecated), branch 'raw' has {cache?: bool deprecated}; plain: {a: int} with nothing deprecated anywhere.
    private const string Schema = """
        [
          {"name": "add-node", "meta-type": "command", "arg-type": "1", "ret-type": "0"},
          {"name": "plain", "meta-type": "command", "arg-type": "6", "ret-type": "0"},
          {"name": "0", "meta-type": "object", "members": []},
          {"name": "1", "meta-type": "object", "members": [
            {"name": "name", "type": "str"},
            {"name": "file", "type": "2"},
            {"name": "extra", "type": "[3]", "default": null}]},
          {"name": "2", "meta-type": "alternate", "members": [{"type": "str"}, {"type": "3"}]},
          {"name": "3", "meta-type": "object", "tag": "driver",
           "members": [{"name": "driver", "type": "4"}],
           "variants": [{"case": "raw", "type": "5"}]},
          {"name": "[3]", "meta-type": "array", "element-type": "3"},
          {"name": "4", "meta-type": "enum", "values": ["raw", "old", "new"],
           "members": [{"name": "raw"}, {"name": "old", "features": ["deprecated"]}, {"name": "new"}]},
          {"name": "5", "meta-type": "object", "members": [{"name": "cache", "type": "bool", "default": null, "features": ["deprecated"]}]},
          {"name": "6", "meta-type": "object", "members": [{"name": "a", "type": "int"}]},
          {"name": "str", "meta-type": "builtin", "json-type": "string"},
          {"name": "int", "meta-type": "builtin", "json-type": "int"},
          {"name": "bool", "meta-type": "builtin", "json-type": "boolean"}
        ]
        """;

    private static readonly QmpSchema s_schema = QmpSchema.Parse(JsonDocument.Parse(Schema).RootElement.Clone());

    private static IReadOnlyList<QapiDeprecatedUse.Finding> Find(string command, string arguments) =>
        QapiDeprecatedUse.Find(s_schema.Commands[command], JsonDocument.Parse(arguments).RootElement);

    [Test]
    public void A_reference_through_the_alternates_string_branch_uses_nothing_deprecated()
    {
        Assert.That(Find("add-node", """{"name": "n", "file": "other-node"}"""), Is.Empty);
    }

    [Test]
    public void The_alternates_object_branch_is_walked_to_a_deprecated_member_of_a_union_branch()
    {
        Assert.That(Find("add-node", """{"name": "n", "file": {"driver": "raw", "cache": true}}"""),
            Is.EqualTo(new[] { new QapiDeprecatedUse.Finding("file.cache", null) }));
    }

    [Test]
    public void A_deprecated_enum_value_is_found_with_its_path_and_value()
    {
        Assert.That(Find("add-node", """{"name": "n", "file": {"driver": "old"}}"""),
            Is.EqualTo(new[] { new QapiDeprecatedUse.Finding("file.driver", "old") }));
    }

    [Test]
    public void List_elements_share_one_path_and_are_reported_once()
    {
        Assert.That(Find("add-node", """{"name": "n", "file": "f", "extra": [{"driver": "old"}, {"driver": "raw", "cache": false}, {"driver": "old"}]}"""),
            Is.EqualTo(new[] { new QapiDeprecatedUse.Finding("extra[].driver", "old"), new QapiDeprecatedUse.Finding("extra[].cache", null) }));
    }

    [Test]
    public void A_member_of_a_branch_the_tag_does_not_select_is_not_reported()
    {
        // 'cache' belongs to the 'raw' branch only; under 'new' it is unknown (Validate's business), not deprecated.
        Assert.That(Find("add-node", """{"name": "n", "file": {"driver": "new", "cache": true}}"""), Is.Empty);
    }

    [Test]
    public void A_command_that_reaches_nothing_deprecated_reports_nothing()
    {
        Assert.That(Find("plain", """{"a": 1}"""), Is.Empty);
    }
}
