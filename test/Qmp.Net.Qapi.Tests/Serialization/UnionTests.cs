using System.Text.Json;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi.Tests.Serialization;

public class UnionTests
{
    [Test]
    public void A_union_finds_its_tag_when_QEMU_sends_it_last()
    {
        var json = """{"cpu-index":0,"qom-path":"/machine/cpu[0]","thread-id":42,"props":{"core-id":0},"target":"s390x","cpu-state":"operating"}""";

        var cpu = JsonSerializer.Deserialize(json, QapiJson.Info<CpuInfoFast>());

        Assert.That(cpu, Is.TypeOf<CpuInfoFast.S390xBranch>());
        var s390 = (CpuInfoFast.S390xBranch)cpu!;
        Assert.That(s390.CpuState, Is.EqualTo(S390CpuState.Operating));
        Assert.That(s390.ThreadId, Is.EqualTo(42));
        Assert.That(s390.Target, Is.EqualTo(SysEmuTarget.S390x));
    }

    [Test]
    public void A_union_reads_an_empty_branch_as_the_base_record_with_its_raw_json()
    {
        var json = """{"thread-id":7,"target":"x86_64","cpu-index":1,"qom-path":"/machine/unattached/device[0]"}""";

        var cpu = JsonSerializer.Deserialize(json, QapiJson.Info<CpuInfoFast>())!;

        Assert.That(cpu.GetType(), Is.EqualTo(typeof(CpuInfoFast)));
        Assert.That(cpu.Target, Is.EqualTo(SysEmuTarget.X86_64));
        Assert.That(cpu.CpuIndex, Is.EqualTo(1));
        Assert.That(cpu.RawJson?.GetProperty("thread-id").GetInt32(), Is.EqualTo(7));
    }

    [Test]
    public void A_union_keeps_a_tag_it_does_not_know()
    {
        var json = """{"driver":"future-driver","node-name":"n0","extra":1}""";

        var options = JsonSerializer.Deserialize(json, QapiJson.Info<BlockdevOptions>())!;

        Assert.That(options.GetType(), Is.EqualTo(typeof(BlockdevOptions)));
        Assert.That(options.Driver.Kind, Is.EqualTo(BlockdevDriver.Known.Unknown));
        Assert.That(options.Driver.Value, Is.EqualTo("future-driver"));
        Assert.That(options.RawJson?.GetProperty("extra").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void A_branch_record_writes_its_tag_and_members_and_no_null_members()
    {
        var options = new BlockdevOptions.Qcow2Branch { NodeName = "disk0", File = "file0" };

        var json = JsonSerializer.Serialize<BlockdevOptions>(options, QapiJson.Info<BlockdevOptions>());

        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("driver").GetString(), Is.EqualTo("qcow2"));
        Assert.That(doc.RootElement.GetProperty("node-name").GetString(), Is.EqualTo("disk0"));
        Assert.That(doc.RootElement.GetProperty("file").GetString(), Is.EqualTo("file0"));
        Assert.That(doc.RootElement.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "driver", "node-name", "file" }));
    }

    [Test]
    public void A_nested_union_in_an_alternate_round_trips()
    {
        var json = """{"driver":"qcow2","node-name":"top","file":{"driver":"file","filename":"/tmp/x.qcow2"}}""";

        var options = (BlockdevOptions.Qcow2Branch)JsonSerializer.Deserialize(json, QapiJson.Info<BlockdevOptions>())!;

        Assert.That(options.File.Definition, Is.TypeOf<BlockdevOptions.FileBranch>());
        Assert.That(((BlockdevOptions.FileBranch)options.File.Definition!).Filename, Is.EqualTo("/tmp/x.qcow2"));
        var written = JsonSerializer.Serialize<BlockdevOptions>(options, QapiJson.Info<BlockdevOptions>());
        Assert.That(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(written), System.Text.Json.Nodes.JsonNode.Parse(json)), Is.True, written);
    }
}
