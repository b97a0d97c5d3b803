using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

public class SecretMaskerTests
{
    [TestCase("{\"execute\":\"set_password\",\"arguments\":{\"protocol\":\"vnc\",\"password\":\"hunter2\"}}")]
    [TestCase("{\"execute\":\"change-vnc-password\",\"arguments\":{\"password\":\"hunter2\"}}")]
    [TestCase("{\"execute\":\"x\",\"arguments\":{\"new-Password\":\"hunter2\"}}")]
    [TestCase("{\"execute\":\"x\",\"arguments\":{\"list\":[{\"deep\":{\"passwd\":\"hunter2\"}}]}}")]
    [TestCase("{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"secret\",\"id\":\"s\",\"data\":\"hunter2\"}}")]
    [TestCase("{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"secret_keyring\",\"id\":\"s\",\"data\":\"hunter2\"}}")]
    [TestCase("{\"return\":[{\"qom-type\":\"secret\",\"data\":{\"nested\":\"hunter2\"}}]}")]
    public void Secrets_are_masked_wherever_they_appear(string json)
    {
        var masked = SecretMasker.MaskJson(json);

        Assert.Multiple(() =>
        {
            Assert.That(masked, Does.Not.Contain("hunter2"));
            Assert.That(masked, Does.Contain(SecretMasker.Mask));
        });
    }

    // Found by the encoder fuzz target: JSON may repeat a member (QEMU's parser and System.Text.Json's readers accept it),
    // and the masker, which read JSON as JsonObject, threw ArgumentException on the repeat — from the read loop at Trace
    // level for a server's message, and for every error reply to a command whose arguments repeated a member.
    [Test]
    public void A_repeated_member_is_masked_each_time_and_nothing_throws()
    {
        var masked = SecretMasker.MaskJson("{\"return\":{\"a\":1,\"a\":2,\"password\":\"hunter2\",\"password\":\"hunter3\"}}");

        Assert.That(masked, Is.EqualTo("{\"return\":{\"a\":1,\"a\":2,\"password\":\"***\",\"password\":\"***\"}}"));
    }

    [Test]
    public void Echoed_secrets_of_a_command_with_a_repeated_member_are_all_masked()
    {
        var command = "{\"execute\":\"x\",\"arguments\":{\"f\":1,\"f\":2,\"password\":\"hunter2\",\"password\":\"hunter3\"}}"u8;

        var text = SecretMasker.MaskEchoedSecrets("bad password hunter2 or hunter3", command);

        Assert.That(text, Is.EqualTo("bad password *** or ***"));
    }

    [Test]
    public void Data_of_objects_that_are_not_secrets_is_kept()
    {
        var masked = SecretMasker.MaskJson("{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m\",\"data\":\"visible\"}}");

        Assert.That(masked, Does.Contain("visible"));
    }

    [Test]
    public void Unreadable_JSON_is_logged_as_its_length_only()
    {
        var masked = SecretMasker.MaskJson("{\"password\":\"hunter2\""u8);

        Assert.That(masked, Is.EqualTo("<21 bytes of unreadable JSON>"));
    }

    [Test]
    public void Echoed_secrets_are_masked_in_a_servers_text_longest_first()
    {
        var command = "{\"execute\":\"x\",\"arguments\":{\"password\":\"abc\",\"new-password\":\"abcdef\",\"name\":\"vm1\"}}"u8;

        var masked = SecretMasker.MaskEchoedSecrets("old abc, new abcdef, name vm1", command);

        Assert.That(masked, Is.EqualTo("old ***, new ***, name vm1"));
    }

    [Test]
    public void The_data_of_a_secret_object_is_masked_in_a_servers_text()
    {
        var command = "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"c2VjcmV0\"}}"u8;

        Assert.That(SecretMasker.MaskEchoedSecrets("bad data c2VjcmV0 for s0", command), Is.EqualTo("bad data *** for s0"));
    }

    [Test]
    public void A_servers_text_is_kept_when_the_command_carried_no_secret()
    {
        var command = "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nic0\"}}"u8;

        Assert.That(SecretMasker.MaskEchoedSecrets("Device 'nic0' not found", command), Is.EqualTo("Device 'nic0' not found"));
    }
}
