using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi.Tests.Serialization;

/// <summary>Where QAPI is open (device_add's properties, an <c>any</c> member a user sends such as qom-set's value),
/// values are built with implicit conversions and written with the source-generated metadata only.</summary>
public class OpenValueTests
{
    [Test]
    public void Device_add_properties_are_written_as_members_of_the_arguments()
    {
        var arguments = new DeviceAddArguments
        {
            Driver = "virtio-rng-pci",
            Id = "rng0",
            Properties = new()
            {
                ["max-bytes"] = 4096,
                ["period"] = 2000L,
                ["ioeventfd"] = true,
                ["addr"] = "0x10",
                ["ratio"] = 1.5,
                ["nested"] = new JsonObject { ["a"] = 1, ["b"] = new JsonArray("x", "y") },
            },
        };

        var json = JsonSerializer.Serialize(arguments, QapiJson.Info<DeviceAddArguments>());

        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse("""
            {"driver": "virtio-rng-pci", "id": "rng0", "max-bytes": 4096, "period": 2000, "ioeventfd": true, "addr": "0x10",
             "ratio": 1.5, "nested": {"a": 1, "b": ["x", "y"]}}
            """)), Is.True, json);
    }

    [Test]
    public void Device_add_properties_are_read_back_as_elements()
    {
        var arguments = QapiJson.Read<DeviceAddArguments>(JsonDocument.Parse("""{"driver": "usb-storage", "drive": "d1", "removable": true}""").RootElement);

        Assert.That(arguments.Driver, Is.EqualTo("usb-storage"));
        Assert.That(arguments.Properties!.Keys, Is.EquivalentTo(new[] { "drive", "removable" }));
        Assert.That(((JsonElement)arguments.Properties["drive"]).GetString(), Is.EqualTo("d1"));
    }

    [Test]
    public void An_any_member_a_user_sends_takes_a_plain_value()
    {
        var arguments = new QomSetArguments { Path = "/machine/peripheral/rng0", Property = "max-bytes", Value = 8192 };

        var json = JsonSerializer.Serialize(arguments, QapiJson.Info<QomSetArguments>());

        Assert.That(json, Is.EqualTo("""{"path":"/machine/peripheral/rng0","property":"max-bytes","value":8192}"""));
    }
}
