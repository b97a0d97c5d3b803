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
}
