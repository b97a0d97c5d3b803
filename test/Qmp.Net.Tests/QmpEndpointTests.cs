namespace Qmp.Net.Tests;

public class QmpEndpointTests
{
    [TestCase("unix:/run/vm.qmp", "/run/vm.qmp")]
    [TestCase("/tmp/a b/vm.qmp", "/tmp/a b/vm.qmp")]
    [TestCase("unix:relative/vm.qmp", "relative/vm.qmp")]
    public void Parse_accepts_unix_forms(string text, string path)
    {
        var endpoint = QmpEndpoint.Parse(text);

        Assert.That(endpoint, Is.TypeOf<QmpUnixEndpoint>().With.Property(nameof(QmpUnixEndpoint.Path)).EqualTo(path));
    }

    [TestCase("tcp:localhost:4444", "localhost", 4444)]
    [TestCase("localhost:4444", "localhost", 4444)]
    [TestCase("tcp:127.0.0.1:1", "127.0.0.1", 1)]
    [TestCase("vm.example.org:65535", "vm.example.org", 65535)]
    [TestCase("[::1]:4444", "::1", 4444)]
    [TestCase("tcp:[::1]:4444", "::1", 4444)]
    [TestCase("tcp:[fe80::1]:5", "fe80::1", 5)]
    public void Parse_accepts_tcp_forms(string text, string host, int port)
    {
        var endpoint = QmpEndpoint.Parse(text);

        Assert.That(endpoint, Is.TypeOf<QmpTcpEndpoint>());
        var tcp = (QmpTcpEndpoint)endpoint;
        Assert.Multiple(() =>
        {
            Assert.That(tcp.Host, Is.EqualTo(host));
            Assert.That(tcp.Port, Is.EqualTo(port));
        });
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("unix:")]
    [TestCase("localhost")]
    [TestCase("tcp:localhost")]
    [TestCase("localhost:")]
    [TestCase(":4444")]
    [TestCase("localhost:0")]
    [TestCase("localhost:65536")]
    [TestCase("localhost:-1")]
    [TestCase("localhost:port")]
    [TestCase("::1:4444")]
    [TestCase("[::1]")]
    [TestCase("[::1]4444")]
    [TestCase("[]:4444")]
    [TestCase("[127.0.0.1]:4444")]
    [TestCase("[nonsense]:4444")]
    [TestCase("my host:4444")]
    public void Parse_rejects_malformed_text_with_a_FormatException_naming_it(string text)
    {
        Assert.That(
            () => QmpEndpoint.Parse(text),
            Throws.TypeOf<FormatException>().With.Message.Contains($"'{text}'").And.Message.Contains("unix:"));
        Assert.That(QmpEndpoint.TryParse(text, out _), Is.False);
    }

    [Test]
    public void Parse_rejects_null_with_ArgumentNullException()
    {
        Assert.That(() => QmpEndpoint.Parse(null!), Throws.ArgumentNullException);
    }

    [TestCase("tcp:localhost:4444")]
    [TestCase("tcp:[::1]:4444")]
    [TestCase("tcp:10.0.0.1:22")]
    [TestCase("unix:/run/vm.qmp")]
    public void ToString_round_trips_through_Parse(string text)
    {
        var endpoint = QmpEndpoint.Parse(text);

        Assert.Multiple(() =>
        {
            Assert.That(endpoint.ToString(), Is.EqualTo(text));
            Assert.That(QmpEndpoint.Parse(endpoint.ToString()), Is.EqualTo(endpoint));
        });
    }

    [Test]
    public void Tcp_keeps_an_ipv6_literal_without_brackets()
    {
        Assert.Multiple(() =>
        {
            Assert.That(QmpEndpoint.Tcp("[::1]", 4444), Is.EqualTo(QmpEndpoint.Tcp("::1", 4444)));
            Assert.That(QmpEndpoint.Tcp("::1", 4444).ToString(), Is.EqualTo("tcp:[::1]:4444"));
        });
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(65536)]
    public void Tcp_rejects_a_port_out_of_range(int port)
    {
        Assert.That(() => QmpEndpoint.Tcp("localhost", port), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [TestCase("")]
    [TestCase(" ")]
    public void Tcp_and_Unix_reject_empty_text(string text)
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => QmpEndpoint.Tcp(text, 4444), Throws.ArgumentException);
            Assert.That(() => QmpEndpoint.Unix(text), Throws.ArgumentException);
        });
    }

    [Test]
    public void Tcp_and_Unix_reject_null()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => QmpEndpoint.Tcp(null!, 4444), Throws.ArgumentNullException);
            Assert.That(() => QmpEndpoint.Unix(null!), Throws.ArgumentNullException);
        });
    }

    [Test]
    public void Endpoints_compare_by_value()
    {
        Assert.Multiple(() =>
        {
            Assert.That(QmpEndpoint.Unix("/a"), Is.EqualTo(QmpEndpoint.Parse("unix:/a")));
            Assert.That(QmpEndpoint.Tcp("h", 1), Is.Not.EqualTo(QmpEndpoint.Tcp("h", 2)));
        });
    }
}
