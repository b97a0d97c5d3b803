using System.Text;
using System.Text.Json;

namespace Qmp.Net.Tests;

/// <summary>QmpEvent keeps its public record shape while a received event parses its data only when it is read.</summary>
public class QmpEventTests
{
    [Test]
    public void A_received_event_parses_its_data_when_read_and_equals_one_built_from_the_same_JSON()
    {
        var received = new QmpEvent("STOP", Encoding.UTF8.GetBytes("""{"reason":"x"}"""), DateTimeOffset.MinValue, 3);
        using var document = JsonDocument.Parse("""{"reason":"x"}""");
        var built = new QmpEvent("STOP", document.RootElement, DateTimeOffset.MinValue) { Sequence = 3 };

        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EqualTo(built));
            Assert.That(received.GetHashCode(), Is.EqualTo(built.GetHashCode()));
            Assert.That(received.Data.GetProperty("reason").GetString(), Is.EqualTo("x"));
            Assert.That(received.ToString(), Is.EqualTo(built.ToString()));
        });
    }

    [Test]
    public void An_event_without_data_has_an_empty_object_and_with_replaces_the_data()
    {
        var received = new QmpEvent("RESUME", null, DateTimeOffset.MinValue, 1);
        using var document = JsonDocument.Parse("[1]");
        var changed = received with { Data = document.RootElement };
        var (name, data, _) = changed;

        Assert.Multiple(() =>
        {
            Assert.That(received.Data.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(received.Data.EnumerateObject(), Is.Empty);
            Assert.That(name, Is.EqualTo("RESUME"));
            Assert.That(data.GetArrayLength(), Is.EqualTo(1));
            Assert.That(changed, Is.Not.EqualTo(received));
        });
    }

    [Test]
    public void Many_threads_reading_the_data_at_once_all_see_the_same_value()
    {
        var received = new QmpEvent("X", Encoding.UTF8.GetBytes("""{"n":42}"""), DateTimeOffset.MinValue, 1);

        var values = Enumerable.Range(0, 16).AsParallel().Select(_ => received.Data.GetProperty("n").GetInt32()).ToList();

        Assert.That(values, Has.All.EqualTo(42));
    }
}
