using System.Text;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

/// <summary>Found by the encoder fuzz target: <see cref="JsonDocument"/> accepts invalid UTF-8 inside strings and escapes
/// of lone surrogates. The encoder used to send U+FFFD in place of the invalid bytes (arguments other than the caller's),
/// or throw an InvalidOperationException that ExecuteAsync documents for "not connected".</summary>
public class CommandEncoderTextTests
{
    [TestCase(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0x90, (byte)'"', (byte)'}' }, TestName = "Invalid UTF-8 in a value")]
    [TestCase(new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, TestName = "Invalid UTF-8 in a member name")]
    public void Arguments_that_are_not_valid_UTF8_are_refused_with_an_ArgumentException(byte[] json)
    {
        using var document = JsonDocument.Parse(json);

        var error = Assert.Throws<ArgumentException>(() => CommandEncoder.Encode("x", false, 0, document.RootElement, QmpJson.DefaultOptions));

        Assert.That(error!.ParamName, Is.EqualTo("arguments"));
    }

    [Test]
    public void An_escaped_lone_surrogate_in_a_member_name_is_refused_with_an_ArgumentException()
    {
        using var document = JsonDocument.Parse("""{"\udc00":1}""");

        Assert.Throws<ArgumentException>(() => CommandEncoder.Encode("x", false, 0, document, QmpJson.DefaultOptions));
    }

    [Test]
    public void Valid_text_is_sent_exactly()
    {
        using var document = JsonDocument.Parse("""{"name":"é\"\\","n":18446744073709551615}""");

        var encoded = CommandEncoder.Encode("x", false, 0, document.RootElement, QmpJson.DefaultOptions);

        using var sent = JsonDocument.Parse(encoded);
        Assert.That(JsonElement.DeepEquals(sent.RootElement.GetProperty("arguments"), document.RootElement), Is.True, Encoding.UTF8.GetString(encoded));
    }
}
