using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Qapi.Qga;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi.Tests;

/// <summary>The guest agent's types follow the QMP mapping rules: alternates by token kind, unions by a tag wherever it
/// is, open enums, tolerant reading and exact writing, all through the guest agent's own JsonSerializerContext.</summary>
public sealed class QgaSerializationTests
{
    [Test]
    public void An_alternate_is_chosen_by_the_kind_of_JSON_value()
    {
        var number = Read<GuestFileWhence>("2");
        var name = Read<GuestFileWhence>("\"end\"");

        Assert.That(number.Value, Is.EqualTo(2));
        Assert.That(number.Name, Is.Null);
        Assert.That(name.Name, Is.EqualTo(QGASeek.End));
        Assert.That(Write<GuestFileWhence>(QGASeek.Cur), Is.EqualTo("\"cur\""));
        Assert.That(Write<GuestFileWhence>(7L), Is.EqualTo("7"));
    }

    [Test]
    public void Arguments_are_written_exactly_with_no_optional_member_as_null()
    {
        var json = Write(new GuestExecArguments { Path = "/bin/echo", Arg = ["hi"], CaptureOutput = GuestExecCaptureOutputMode.Merged });
        var flag = Write(new GuestExecArguments { Path = "/bin/true", CaptureOutput = true });

        Assert.That(json, Is.EqualTo("""{"path":"/bin/echo","arg":["hi"],"capture-output":"merged"}"""));
        Assert.That(flag, Is.EqualTo("""{"path":"/bin/true","capture-output":true}"""));
        Assert.That(Write(new GuestShutdownArguments()), Is.EqualTo("{}"));
    }

    [Test]
    public void A_union_finds_its_tag_wherever_it_is_and_an_unknown_branch_keeps_its_members()
    {
        var pci = Read<GuestDeviceId>("""{"vendor-id": 6900, "device-id": 4097, "type": "pci"}""");
        var unknown = Read<GuestDeviceId>("""{"type": "usb", "port": 3}""");

        Assert.That(pci, Is.TypeOf<GuestDeviceId.PciBranch>());
        Assert.That(((GuestDeviceId.PciBranch)pci).VendorId, Is.EqualTo(6900));
        Assert.That(unknown.GetType(), Is.EqualTo(typeof(GuestDeviceId)));
        Assert.That(unknown.Type.Kind, Is.EqualTo(GuestDeviceType.Known.Unknown));
        Assert.That(unknown.Type.Value, Is.EqualTo("usb"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(Write(unknown)), JsonNode.Parse("""{"type":"usb","port":3}""")), Is.True, "written back with the members only the agent knew");
    }

    [Test]
    public void An_unknown_enum_value_is_kept_and_an_unknown_member_is_ignored()
    {
        var disk = Read<GuestDiskAddress>("""{"pci-controller": {"domain": 0, "bus": 0, "slot": 1, "function": 0}, "bus-type": "cxl", "bus": 0, "target": 0, "unit": 0, "future-member": 1}""");

        Assert.That(disk.BusType.Kind, Is.EqualTo(GuestDiskBusType.Known.Unknown));
        Assert.That(disk.BusType.Value, Is.EqualTo("cxl"));
        Assert.That(Write(disk), Does.Contain("\"bus-type\":\"cxl\"").And.Not.Contains("future-member"));
    }

    [Test]
    public void A_default_QgaCommands_has_no_client_and_says_so()
    {
        var commands = default(QgaCommands);

        Assert.That(async () => await commands.GuestPingAsync(), Throws.InvalidOperationException);
        Assert.That(() => new QgaCommands(null!), Throws.ArgumentNullException);
    }

    private static T Read<T>(string json)
        where T : IQapiJson<T> => JsonSerializer.Deserialize(json, QapiJson.Info<T>())!;

    private static string Write<T>(T value)
        where T : IQapiJson<T> => JsonSerializer.Serialize(value, QapiJson.Info<T>());
}
