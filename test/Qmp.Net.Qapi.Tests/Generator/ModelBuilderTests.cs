using System.Text.Json.Nodes;
using Qmp.Net.Qapi.Tests.Support;
using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests.Generator;

/// <summary>The generator's model on its own, without printing: names, C# types, <c>required</c> and how each member is
/// read and written, decided by <see cref="ModelBuilder"/> from two small hand-written schema versions (and a few facts of the
/// real superset).</summary>
public class ModelBuilderTests
{
    private static readonly Lazy<ApiModel> s_small = new(() => ModelBuilder.Build(new Superset([Version("2.0", Newer), Version("1.0", Older)])));

    private static readonly Lazy<ApiModel> s_real = new(() => ModelBuilder.Build(new Superset(QapiGen.Generator.LoadSchemas(RepositoryPaths.Schemas))));

    private const string Newer = """
        {"kind":"enum","name":"Mode","module":"mini-core","values":[{"name":"full"},{"name":"top"},{"name":"new-one","since":"2.0"},{"name":"old","features":["deprecated"]}]},
        {"kind":"struct","name":"Target","module":"mini-core","members":[{"name":"file","type":"str"},{"name":"size","type":"size","optional":true},{"name":"event","type":"any","optional":true},{"name":"target","type":"int"}]},
        {"kind":"union","name":"Node","module":"mini-core","base-members":[{"name":"driver","type":"Mode"},{"name":"node-name","type":"str","optional":true}],"discriminator":"driver","branches":[{"name":"full","type":"Target"},{"name":"top","type":"Target"}]},
        {"kind":"alternate","name":"StrOrNull","module":"mini-common","branches":[{"name":"s","type":"str"},{"name":"n","type":"null"}]},
        {"kind":"struct","name":"Info","module":"mini-core","members":[{"name":"mode","type":"Mode"},{"name":"name","type":"str"},{"name":"tags","type":["str"]},{"name":"value","type":"any"}]},
        {"kind":"command","name":"mirror","module":"mini-core","members":[{"name":"device","type":"str"},{"name":"sync","type":"Mode"},{"name":"speed","type":"int","optional":true},{"name":"node","type":"Node","optional":true},{"name":"value","type":"any"}],"returns":"Info"},
        {"kind":"command","name":"query-info","module":"mini-core","returns":["Info"],"allow-oob":true},
        {"kind":"command","name":"new-thing","module":"mini-common","since":"2.0"},
        {"kind":"event","name":"JOB_DONE","module":"mini-core","members":[{"name":"id","type":"str"},{"name":"event","type":"str"}]}
        """;

    private const string Older = """
        {"kind":"enum","name":"Mode","module":"mini-core","values":[{"name":"full"},{"name":"top"},{"name":"old"}]},
        {"kind":"struct","name":"Target","module":"mini-core","members":[{"name":"file","type":"str"},{"name":"size","type":"size","optional":true},{"name":"event","type":"any","optional":true},{"name":"target","type":"int"}]},
        {"kind":"union","name":"Node","module":"mini-core","base-members":[{"name":"driver","type":"Mode"},{"name":"node-name","type":"str","optional":true}],"discriminator":"driver","branches":[{"name":"full","type":"Target"},{"name":"top","type":"Target"}]},
        {"kind":"alternate","name":"StrOrNull","module":"mini-common","branches":[{"name":"s","type":"str"},{"name":"n","type":"null"}]},
        {"kind":"struct","name":"Info","module":"mini-core","members":[{"name":"mode","type":"Mode"},{"name":"name","type":"str"},{"name":"value","type":"any"}]},
        {"kind":"command","name":"mirror","module":"mini-core","members":[{"name":"device","type":"str"},{"name":"sync","type":"Mode"},{"name":"speed","type":"int","optional":true},{"name":"node","type":"Node","optional":true},{"name":"value","type":"any"}],"returns":"Info"},
        {"kind":"command","name":"query-info","module":"mini-core","returns":["Info"],"allow-oob":true},
        {"kind":"event","name":"JOB_DONE","module":"mini-core","members":[{"name":"id","type":"str"},{"name":"event","type":"str"}]}
        """;

    private static ApiModel Small => s_small.Value;

    private static Schema Version(string version, string entities) =>
        Schema.Load(version, JsonNode.Parse($$"""{"qemu": "{{version}}.0", "entities": [{{entities}}]}""")!.AsObject());

    private static MemberModel Member(IEnumerable<MemberModel> members, string wire) => members.Single(m => m.Wire == wire);

    [Test]
    public void Type_names_are_PascalCase_and_implicit_arguments_end_in_Arguments()
    {
        Assert.That(Small.Types.Select(t => (t.QapiName, t.CsName)), Is.SupersetOf(new[]
        {
            ("Mode", "Mode"), ("Target", "Target"), ("Node", "Node"), ("StrOrNull", "StrOrNull"), (":args:mirror", "MirrorArguments"),
        }));
        Assert.That(Small.Event("JOB_DONE").CsName, Is.EqualTo("JobDoneEvent"));
        Assert.That(Small.Command("query-info").Method, Is.EqualTo("QueryInfoAsync"));
    }

    [Test]
    public void A_member_that_clashes_with_its_record_or_an_inherited_member_gets_Value()
    {
        var target = (StructModel)Small.Type("Target");
        var @event = Small.Event("JOB_DONE");

        Assert.That(Member(target.Members, "target").Property, Is.EqualTo("TargetValue"), "the record's own name");
        Assert.That(Member(target.Members, "event").Property, Is.EqualTo("Event"), "no clash in a plain struct");
        Assert.That(Member(@event.Members, "event").Property, Is.EqualTo("EventValue"), "QapiEvent.Event");
    }

    [Test]
    public void Union_branches_are_their_tag_value_and_Branch_with_the_tag_set_by_the_constructor()
    {
        var node = (UnionModel)Small.Type("Node");

        Assert.That(node.Branches.Select(b => b.CsName), Is.EqualTo(new[] { "FullBranch", "TopBranch" }));
        Assert.That(node.Branches[0].TagProperty, Is.EqualTo("Driver"));
        Assert.That(node.Branches[0].TagValue, Is.EqualTo("Mode.Full"));
        Assert.That(node.Tag, Is.EqualTo("driver"));
    }

    [Test]
    public void Enum_values_are_PascalCase_with_their_facts_and_attributes()
    {
        var mode = (EnumModel)Small.Type("Mode");

        Assert.That(mode.Values.Select(v => v.CsName), Is.EqualTo(new[] { "Full", "Top", "NewOne", "Old" }));
        Assert.That(mode.Values[2].Facts, Is.EqualTo("Since QEMU 2.0. In QEMU 2.0 only (not in 1.0)."));
        Assert.That(mode.Values[3].Attributes, Is.EqualTo(new[] { "[Obsolete(\"Deprecated in QEMU 2.0 (QAPI feature 'deprecated').\")]" }));
    }

    [Test]
    public void Built_in_types_map_to_CSharp_and_optional_members_are_nullable()
    {
        var target = (StructModel)Small.Type("Target");
        var info = (StructModel)Small.Type("Info");

        Assert.That(Member(target.Members, "size").Type, Is.EqualTo("ulong?"));
        Assert.That(Member(target.Members, "file").Type, Is.EqualTo("string"));
        Assert.That(Member(info.Members, "tags").Type, Is.EqualTo("IReadOnlyList<string>?"), "a member only the newer version has is nullable");
        Assert.That(Member(info.Members, "value").Type, Is.EqualTo("JsonElement"), "'any' in a reply stays a JsonElement");
        Assert.That(Member(info.Members, "value").IgnoreWhenDefault, Is.True);
    }

    [Test]
    public void Mandatory_members_of_what_a_user_sends_are_required_and_replies_get_defaults()
    {
        var args = (StructModel)Small.Type(":args:mirror");
        var target = (StructModel)Small.Type("Target");
        var info = (StructModel)Small.Type("Info");

        Assert.That(Member(args.Members, "device").Required, Is.True);
        Assert.That(Member(args.Members, "sync").Required, Is.True, "a mandatory enum is required, not silently left out");
        Assert.That(Member(args.Members, "speed").Required, Is.False);
        Assert.That(Member(target.Members, "file").Required, Is.True, "reached through a union branch of the arguments");
        Assert.That(Member(info.Members, "name").Required, Is.False, "a reply type");
        Assert.That(Member(info.Members, "name").Initializer, Is.EqualTo(" = \"\";"));
        Assert.That(Member(args.Members, "value").Type, Is.EqualTo("JsonNode?"), "an open value a user builds");
        Assert.That(Small.SentTypes, Is.EqualTo(4), "the arguments, Node, Mode and Target");
    }

    [Test]
    public void Commands_know_their_arguments_result_out_of_band_and_versions()
    {
        var mirror = Small.Command("mirror");
        var query = Small.Command("query-info");
        var added = Small.Command("new-thing");

        Assert.That((mirror.ArgumentsType, mirror.ArgumentsOptional, mirror.ResultType, mirror.OutOfBand), Is.EqualTo(("MirrorArguments", false, "Info", false)));
        Assert.That((query.ArgumentsType, query.ResultType, query.ResultDoc, query.OutOfBand), Is.EqualTo(((string?)null, "IReadOnlyList<Info>", "[Info]", true)));
        Assert.That(added.Versions, Is.EqualTo(new[] { "2.0" }));
        Assert.That(mirror.Versions, Is.EqualTo(new[] { "1.0", "2.0" }));
    }

    [Test]
    public void The_model_decides_how_each_member_is_read_and_written()
    {
        static MemberModel Member(string type, string wire) => ((StructModel)Small.Type(type)).Members.Single(m => m.Wire == wire);

        // A reply's members: absent or null is the default, a mandatory string keeps its initializer, an enum and
        // 'any' are written only when set.
        Assert.That((Member("Info", "mode").Read, Member("Info", "mode").Guard), Is.EqualTo(("QapiJson.Member<global::Qmp.Net.Qapi.Mode>(element, \"mode\")", WriteGuard.NotDefaultEnum)));
        Assert.That(Member("Info", "name").Read, Is.EqualTo("QapiJson.Member(element, \"name\", QapiJson.ReadString) ?? \"\""));
        Assert.That((Member("Info", "tags").Read, Member("Info", "tags").Guard), Is.EqualTo(("QapiJson.ListMember(element, \"tags\", QapiJson.ReadString)", WriteGuard.NotNull)));
        Assert.That((Member("Info", "value").Read, Member("Info", "value").Guard), Is.EqualTo(("QapiJson.AnyMember(element, \"value\")", WriteGuard.NotUndefined)));

        // What a user sends: an optional number is a nullable value, a mandatory one is always written, an open value is a JsonNode.
        Assert.That((Member("Target", "size").Read, Member("Target", "size").Guard), Is.EqualTo(("QapiJson.ValueMember(element, \"size\", QapiJson.ReadUInt64)", WriteGuard.NotNull)));
        Assert.That((Member("Target", "target").Read, Member("Target", "target").Guard), Is.EqualTo(("QapiJson.Member(element, \"target\", QapiJson.ReadInt64)", WriteGuard.Always)));
        Assert.That(Member(":args:mirror", "value").Read, Is.EqualTo("QapiJson.Member(element, \"value\", QapiJson.ReadNode)"));
        Assert.That(Member(":args:mirror", "node").Codec.Write("writer", "v"), Is.EqualTo("QapiJson.Write<global::Qmp.Net.Qapi.Node>(writer, v)"));

        // A command's result: its own reader, a list through the reader of its items.
        Assert.That(Small.Command("query-info").Result!.ReaderFunction, Is.EqualTo("static element => QapiJson.ReadList(element, QapiJson.Read<Info>)"));
        Assert.That(Small.Command("mirror").Result!.ReaderFunction, Is.EqualTo("QapiJson.Read<Info>"));
        Assert.That(Small.Command("new-thing").Result, Is.Null);
    }

    [Test]
    public void Every_template_input_of_the_real_superset_is_decided_once_per_name()
    {
        var model = s_real.Value;
        var mirror = (StructModel)model.Type(":args:blockdev-mirror");

        Assert.That(model.Types.Select(t => t.CsName), Is.Unique);
        Assert.That(model.Commands.Select(c => c.Method), Is.Unique);
        Assert.That(Member(mirror.Members, "sync").Required, Is.True);
        Assert.That(((UnionModel)model.Type("BlockdevOptions")).Branches.Select(b => b.CsName), Does.Contain("FileBranch").And.Contain("Qcow2Branch"));
    }
}
