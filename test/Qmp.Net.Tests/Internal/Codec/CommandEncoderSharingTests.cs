using System.Text;
using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

public class CommandEncoderSharingTests
{
    private static readonly JsonSerializerOptions s_options = QmpJson.DefaultOptions;

    [Test]
    public void Command_without_arguments_is_encoded_once_and_shared()
    {
        var first = CommandEncoder.Encode("query-status", false, 0, null, s_options);
        var second = CommandEncoder.Encode("query-status", false, 0, null, s_options);

        Assert.That(Encoding.UTF8.GetString(first), Is.EqualTo("""{"execute":"query-status"}"""));
        Assert.That(second, Is.SameAs(first));
    }

    [Test]
    public void Command_with_id_arguments_or_oob_is_encoded_anew_each_time()
    {
        var withId = CommandEncoder.Encode("query-status", false, 7, null, s_options);
        var withArguments = CommandEncoder.Encode("query-status", false, 0, new { a = 1 }, s_options);
        var oob = CommandEncoder.Encode("query-yank", true, 8, null, s_options);

        Assert.Multiple(() =>
        {
            Assert.That(Encoding.UTF8.GetString(withId), Is.EqualTo("""{"execute":"query-status","id":7}"""));
            Assert.That(CommandEncoder.Encode("query-status", false, 7, null, s_options), Is.Not.SameAs(withId));
            Assert.That(Encoding.UTF8.GetString(withArguments), Is.EqualTo("""{"execute":"query-status","arguments":{"a":1}}"""));
            Assert.That(Encoding.UTF8.GetString(oob), Is.EqualTo("""{"exec-oob":"query-yank","id":8}"""));
            Assert.That(CommandEncoder.Encode("query-status", false, 0, null, s_options), Is.Not.SameAs(withArguments));
        });
    }
}
