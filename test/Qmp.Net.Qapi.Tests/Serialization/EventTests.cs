using System.Text.Json;

namespace Qmp.Net.Qapi.Tests.Serialization;

public class EventTests
{
    private static QmpEvent Event(string name, string data) => new(name, JsonDocument.Parse(data).RootElement.Clone(), DateTimeOffset.UnixEpoch);

    [Test]
    public void A_known_event_decodes_to_its_record()
    {
        var e = Event("SHUTDOWN", """{"guest":false,"reason":"host-qmp-quit"}""");

        var decoded = e.Decode();

        Assert.That(decoded, Is.TypeOf<ShutdownEvent>());
        Assert.That(((ShutdownEvent)decoded).Reason, Is.EqualTo(ShutdownCause.HostQmpQuit));
        Assert.That(decoded.Event, Is.SameAs(e));
    }

    [Test]
    public void An_unknown_event_decodes_to_UnknownQapiEvent_without_an_error()
    {
        var decoded = Event("FUTURE_EVENT", "{}").Decode();

        Assert.That(decoded, Is.TypeOf<UnknownQapiEvent>().With.Property(nameof(UnknownQapiEvent.DecodeError)).Null);
        Assert.That(decoded.Event.Name, Is.EqualTo("FUTURE_EVENT"));
    }

    [Test]
    public void An_event_whose_data_does_not_decode_is_delivered_untyped_and_never_throws()
    {
        var decoded = Event("SHUTDOWN", """{"guest":"not a boolean","reason":7}""").Decode();

        Assert.That(decoded, Is.TypeOf<UnknownQapiEvent>().With.Property(nameof(UnknownQapiEvent.DecodeError)).InstanceOf<JsonException>());
    }

    [Test]
    public void Every_event_record_names_its_wire_event()
    {
        Assert.That(ShutdownEvent.EventName, Is.EqualTo("SHUTDOWN"));
        Assert.That(BlockJobReadyEvent.EventName, Is.EqualTo("BLOCK_JOB_READY"));
        Assert.That(JobStatusChangeEvent.EventName, Is.EqualTo("JOB_STATUS_CHANGE"));
    }
}
