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
