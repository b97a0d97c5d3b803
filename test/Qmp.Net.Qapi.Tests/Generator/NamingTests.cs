using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests.Generator;

public class NamingTests
{
    [TestCase("query-status", ExpectedResult = "QueryStatus")]
    [TestCase("device_add", ExpectedResult = "DeviceAdd")]
    [TestCase("x86_64", ExpectedResult = "X86_64")]
    [TestCase("2_5", ExpectedResult = "_2_5")]
    [TestCase("host-qmp-quit", ExpectedResult = "HostQmpQuit")]
    [TestCase("QCryptoCipherAlgo", ExpectedResult = "QCryptoCipherAlgo")]
    [TestCase("aes-128", ExpectedResult = "Aes128")]
    public string Names_become_PascalCase(string name) => Naming.Pascal(name);

    [Test]
    public void Event_names_are_lower_cased_first()
    {
        Assert.That(Naming.TypeName(":event:BLOCK_JOB_READY"), Is.EqualTo("BlockJobReadyEvent"));
        Assert.That(Naming.TypeName(":args:blockdev-mirror"), Is.EqualTo("BlockdevMirrorArguments"));
    }

    [Test]
    public void A_collision_gets_a_suffix()
    {
        var taken = new HashSet<string>();

        Assert.That(Naming.Unique("Foo", taken), Is.EqualTo("Foo"));
        Assert.That(Naming.Unique("Foo", taken), Is.EqualTo("FooValue"));
        Assert.That(Naming.Unique("Foo", taken), Is.EqualTo("FooValue2"));
    }
}
