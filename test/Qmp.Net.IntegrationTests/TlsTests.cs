using System.Security.Authentication;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests;

/// <summary>QMP over TLS to QEMU's <c>tls-creds-x509</c> chardev, with certificates made in the test. Each QEMU gets a
/// plain Unix monitor (which QemuProcess connects to) and a second monitor on TLS, free for the client under test.</summary>
[CancelAfter(60_000)]
public sealed class TlsTests
{
    private static readonly QmpClientOptions s_options = QmpClientOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(10) };

    [Test]
    public async Task The_handshake_works_and_QMP_runs_over_TLS(CancellationToken cancellationToken)
    {
        using var certificates = TestCertificates.Create();
        await using var qemu = await StartWithTlsMonitorAsync(certificates, verifyPeer: false);

        await using var client = await QmpClient.ConnectAsync(
            QmpEndpoint.Tcp("127.0.0.1", qemu.TlsPort, certificates.ClientOptions()), s_options, cancellationToken);
        var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        var resumed = client.WaitForEventAsync("RESUME", cancellationToken: cancellationToken);
        await client.ExecuteAsync("cont", cancellationToken: cancellationToken);

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
        Assert.That(resumed.IsCompletedSuccessfully, Is.True, "RESUME arrives before the cont answer, over TLS too");
        Assert.That(client.Endpoint.ToString(), Does.EndWith("(TLS)"));
    }

    [Test]
    public async Task A_server_certificate_from_another_CA_is_refused(CancellationToken cancellationToken)
    {
        using var certificates = TestCertificates.Create();
        using var stranger = TestCertificates.Create("Some Other CA");
        await using var qemu = await StartWithTlsMonitorAsync(certificates, verifyPeer: false);

        var connect = QmpClient.ConnectAsync(QmpEndpoint.Tcp("127.0.0.1", qemu.TlsPort, stranger.ClientOptions()), s_options, cancellationToken);

        var error = Assert.ThrowsAsync<QmpConnectionException>(async () => await connect);
        Assert.That(error!.InnerException, Is.InstanceOf<AuthenticationException>());
        Assert.That(error.Message, Does.Contain("TLS handshake"));
    }

    [Test]
    public async Task A_host_name_the_certificate_does_not_name_is_refused(CancellationToken cancellationToken)
    {
        using var certificates = TestCertificates.Create();
        await using var qemu = await StartWithTlsMonitorAsync(certificates, verifyPeer: false);

        var options = certificates.ClientOptions(targetHost: "vm-host.example");
        var connect = QmpClient.ConnectAsync(QmpEndpoint.Tcp("127.0.0.1", qemu.TlsPort, options), s_options, cancellationToken);

        // The client refuses the certificate (AuthenticationException); on a loaded machine QEMU sometimes resets the
        // half-done handshake first, and the refusal then surfaces as that reset. Either way no connection is made.
        var error = Assert.ThrowsAsync<QmpConnectionException>(async () => await connect);
        Assert.That(error!.InnerException, Is.InstanceOf<AuthenticationException>()
            .Or.InstanceOf<System.Net.Sockets.SocketException>().With.Property("SocketErrorCode").EqualTo(System.Net.Sockets.SocketError.ConnectionReset));
    }

    [Test]
    public async Task Client_certificate_authentication_works_when_QEMU_demands_it(CancellationToken cancellationToken)
    {
        using var certificates = TestCertificates.Create();
        await using var qemu = await StartWithTlsMonitorAsync(certificates, verifyPeer: true);

        await using var client = await QmpClient.ConnectAsync(
            QmpEndpoint.Tcp("localhost", qemu.TlsPort, certificates.ClientOptions(presentClientCertificate: true)), s_options, cancellationToken);
        var status = await client.ExecuteAsync("query-status", cancellationToken: cancellationToken);

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));
    }

    [Test]
    public async Task Without_a_client_certificate_QEMU_refuses_a_client_when_it_demands_one(CancellationToken cancellationToken)
    {
        using var certificates = TestCertificates.Create();
        await using var qemu = await StartWithTlsMonitorAsync(certificates, verifyPeer: true);

        var connect = QmpClient.ConnectAsync(QmpEndpoint.Tcp("127.0.0.1", qemu.TlsPort, certificates.ClientOptions()), s_options, cancellationToken);

        // With TLS 1.3 the client's side of the handshake may finish before QEMU checks the client; QEMU then drops the
        // connection before its greeting, which is a failure to connect that says why.
        var error = Assert.ThrowsAsync<QmpConnectionException>(async () => await connect);
        Assert.That(error!.Message, Does.Contain("client certificate").Or.Contain("TLS handshake"));
    }

    private static async Task<TlsQemu> StartWithTlsMonitorAsync(TestCertificates certificates, bool verifyPeer)
    {
        QemuFixture.Require();
        var directory = Directory.CreateTempSubdirectory("qmp-it-tls-").FullName;
        certificates.WriteServerFiles(directory);
        var control = Path.Combine(directory, "control.sock");
        var port = QemuFixture.FreeTcpPort();
        try
        {
            var qemu = await QemuProcess.StartAsync(new QemuStartOptions
            {
                Binary = QemuFixture.Binary,
                Arguments =
                [
                    .. QemuFixture.MonitorOnly,
                    "-qmp", $"unix:{control},server=on,wait=off",
                    "-object", $"tls-creds-x509,id=tls0,dir={directory},endpoint=server,verify-peer={(verifyPeer ? "on" : "off")}",
                    "-chardev", $"socket,id=tlsmon,host=127.0.0.1,port={port},server=on,wait=off,tls-creds=tls0",
                    "-mon", "chardev=tlsmon,mode=control",
                ],
                Endpoint = QmpEndpoint.Unix(control),
            }).WaitAsync(TimeSpan.FromSeconds(30));
            QemuFixture.Track(qemu);
            return new TlsQemu(qemu, port, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private sealed class TlsQemu(QemuProcess qemu, int tlsPort, string directory) : IAsyncDisposable
    {
        public int TlsPort { get; } = tlsPort;

        public async ValueTask DisposeAsync()
        {
            await qemu.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
