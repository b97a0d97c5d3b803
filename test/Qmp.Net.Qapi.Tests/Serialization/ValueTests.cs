using System.Text.Json;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi.Tests.Serialization;

public class ValueTests
{
    [Test]
    public void An_enum_value_from_a_newer_QEMU_is_kept_and_written_back()
    {
        var status = JsonSerializer.Deserialize("""{"running":false,"status":"hibernating"}""", QapiJson.Info<StatusInfo>())!;

        Assert.That(status.Status.Kind, Is.EqualTo(RunState.Known.Unknown));
        Assert.That(status.Status.Value, Is.EqualTo("hibernating"));
        Assert.That(JsonSerializer.Serialize(status, QapiJson.Info<StatusInfo>()), Is.EqualTo("""{"running":false,"status":"hibernating"}"""));
    }

    [Test]
    public void Known_enum_values_compare_equal_to_their_static_members()
    {
        var status = JsonSerializer.Deserialize("""{"status":"paused","running":false}""", QapiJson.Info<StatusInfo>())!;

        Assert.That(status.Status == RunState.Paused, Is.True);
        Assert.That(status.Status.Kind, Is.EqualTo(RunState.Known.Paused));
        Assert.That(new RunState("paused"), Is.EqualTo(RunState.Paused));
    }

    [Test]
    public void Unknown_members_are_ignored_and_missing_members_are_no_error()
    {
        var status = JsonSerializer.Deserialize("""{"status":"running","future":{"a":[1]}}""", QapiJson.Info<StatusInfo>())!;

        Assert.That(status.Status, Is.EqualTo(RunState.Running));
        Assert.That(status.Running, Is.False);
    }

    [Test]
    public void An_alternate_chooses_its_branch_by_the_kind_of_JSON_value()
    {
        var reference = JsonSerializer.Deserialize("\"node0\"", QapiJson.Info<BlockdevRef>())!;
        var definition = JsonSerializer.Deserialize("""{"driver":"null-co"}""", QapiJson.Info<BlockdevRef>())!;

        Assert.That(reference.Reference, Is.EqualTo("node0"));
        Assert.That(reference.Definition, Is.Null);
        Assert.That(definition.Definition, Is.TypeOf<BlockdevOptions.NullCoBranch>());
    }

    [Test]
    public void An_optional_member_whose_alternate_has_a_null_branch_has_three_states()
    {
        var absent = JsonSerializer.Deserialize("""{"id":"x"}""", QapiJson.Info<BlockdevOptionsGenericCOWFormat>());
        var jsonNull = JsonSerializer.Deserialize("""{"backing":null}""", QapiJson.Info<BlockdevOptionsGenericCOWFormat>());
        var value = JsonSerializer.Deserialize("""{"backing":"node1"}""", QapiJson.Info<BlockdevOptionsGenericCOWFormat>());

        Assert.That(absent!.Backing, Is.Null);
        Assert.That(jsonNull!.Backing, Is.Not.Null.And.Property(nameof(BlockdevRefOrNull.IsNull)).True);
        Assert.That(value!.Backing?.Reference, Is.EqualTo("node1"));
        Assert.That(JsonSerializer.Serialize(jsonNull, QapiJson.Info<BlockdevOptionsGenericCOWFormat>()), Is.EqualTo("""{"backing":null}"""));
        Assert.That(JsonSerializer.Serialize(absent, QapiJson.Info<BlockdevOptionsGenericCOWFormat>()), Is.EqualTo("{}"));
    }

    [Test]
    public void A_size_holds_the_largest_unsigned_64_bit_value()
    {
        var json = """{"name":"mem-reserve","type":"size","default-value":18446744073709551615}""";

        var info = JsonSerializer.Deserialize(json, QapiJson.Info<ObjectPropertyInfo>())!;

        Assert.That(info.DefaultValue.GetUInt64(), Is.EqualTo(ulong.MaxValue));
        Assert.That(JsonSerializer.Deserialize("""{"base-memory":18446744073709551615}""", QapiJson.Info<MemoryInfo>())!.BaseMemory, Is.EqualTo(ulong.MaxValue));
    }

    [Test]
    public void Any_is_a_JsonElement()
    {
        var property = typeof(ObjectPropertyInfo).GetProperty(nameof(ObjectPropertyInfo.DefaultValue))!;

        Assert.That(property.PropertyType, Is.EqualTo(typeof(JsonElement)));
    }

    [Test]
    public void Integer_widths_are_exact()
    {
        Assert.That(typeof(BlockDeviceInfo).GetProperty(nameof(BlockDeviceInfo.Bps))!.PropertyType, Is.EqualTo(typeof(long)));
        Assert.That(typeof(MemoryInfo).GetProperty(nameof(MemoryInfo.BaseMemory))!.PropertyType, Is.EqualTo(typeof(ulong)));
    }

    [Test]
    public void Deprecated_members_are_obsolete_and_unstable_ones_experimental()
    {
        var obsolete = typeof(QapiCommands).GetMethods().Where(m => m.GetCustomAttributes(typeof(ObsoleteAttribute), false).Length > 0).Select(m => m.Name).ToList();
        var experimental = typeof(QapiCommands).GetMethods().Where(m => m.GetCustomAttributes(typeof(System.Diagnostics.CodeAnalysis.ExperimentalAttribute), false).Length > 0).Select(m => m.Name).ToList();

        Assert.That(obsolete, Is.Not.Empty);
        Assert.That(experimental, Does.Contain("XDebugQueryBlockGraphAsync"));
    }

    [Test]
    public void An_any_member_keeps_json_null_as_a_value_and_absent_as_undefined()
    {
        var withNull = JsonSerializer.Deserialize("""{"name":"x","type":"str","default-value":null}""", QapiJson.Info<ObjectPropertyInfo>())!;
        var absent = JsonSerializer.Deserialize("""{"name":"x","type":"str"}""", QapiJson.Info<ObjectPropertyInfo>())!;

        Assert.That(withNull.DefaultValue.ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(absent.DefaultValue.ValueKind, Is.EqualTo(JsonValueKind.Undefined));
        Assert.That(JsonSerializer.Serialize(withNull, QapiJson.Info<ObjectPropertyInfo>()), Is.EqualTo("""{"name":"x","type":"str","default-value":null}"""));
        Assert.That(JsonSerializer.Serialize(absent, QapiJson.Info<ObjectPropertyInfo>()), Is.EqualTo("""{"name":"x","type":"str"}"""));
    }

    [Test]
    public void A_value_of_the_wrong_json_kind_fails_with_a_json_exception_that_names_it()
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"running":"yes","status":"running"}""", QapiJson.Info<StatusInfo>()));

        Assert.That(ex!.Message, Does.Contain("bool").And.Contain("\"yes\""));
        Assert.That(() => QapiJson.Read<StatusInfo>(JsonDocument.Parse("[1]").RootElement), Throws.TypeOf<JsonException>().With.Message.Contains("JSON object"));
    }

    [Test]
    public void Enum_values_are_equal_by_their_wire_form()
    {
        Assert.That(MirrorSyncMode.Full == new MirrorSyncMode("full"), Is.True);
        Assert.That(MirrorSyncMode.Full.GetHashCode(), Is.EqualTo(new MirrorSyncMode("full").GetHashCode()));
        Assert.That(MirrorSyncMode.Full != MirrorSyncMode.Top, Is.True);
        var future = new MirrorSyncMode("future-mode");
        Assert.That(future == new MirrorSyncMode("future-mode"), Is.True);
        Assert.That(future, Is.Not.EqualTo(MirrorSyncMode.Full));
        Assert.That(default(MirrorSyncMode), Is.EqualTo(new MirrorSyncMode("")), "the default value is the empty wire form");
        Assert.That(((object)MirrorSyncMode.Full).Equals(MirrorSyncMode.Full), Is.True);
        Assert.That(MirrorSyncMode.Full.ToString(), Is.EqualTo("full"));
    }
}
