using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Qmp.Net.IntegrationTests;

/// <summary>A private CA with a server certificate (for localhost and 127.0.0.1) and a client certificate, made in the test
/// itself with <see cref="CertificateRequest"/>, and written where QEMU's <c>tls-creds-x509</c> looks for them.</summary>
internal sealed class TestCertificates : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    private TestCertificates(string commonName)
    {
        using var caKey = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(_now.AddDays(-1), _now.AddDays(7));
        Server = Issue("localhost", ServerAuth, san: true);
        Client = Issue("qmp-net-test-client", ClientAuth, san: false);
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public static TestCertificates Create(string commonName = "Qmp.Net Test CA") => new(commonName);

    /// <summary>Writes ca-cert.pem, server-cert.pem and server-key.pem into <paramref name="directory"/>, as QEMU expects.</summary>
    public void WriteServerFiles(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "ca-cert.pem"), Authority.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server-cert.pem"), Server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server-key.pem"), Server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Client TLS options that trust only this CA and, optionally, present the client certificate.</summary>
    public SslClientAuthenticationOptions ClientOptions(bool presentClientCertificate = false, string? targetHost = null)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(Authority);
        var options = new SslClientAuthenticationOptions { CertificateChainPolicy = policy, TargetHost = targetHost };
        if (presentClientCertificate)
        {
            // A certificate with an ephemeral key must go through PKCS#12 to be usable for TLS on Linux.
            options.ClientCertificates = [X509CertificateLoader.LoadPkcs12(Client.Export(X509ContentType.Pkcs12), null)];
        }

        return options;
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
        Client.Dispose();
    }

    private X509Certificate2 Issue(string commonName, string usage, bool san)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (san)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(Authority, _now.AddDays(-1), _now.AddDays(6), serial);
        return certificate.CopyWithPrivateKey(key);
    }
}
