using System.Net.Sockets;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Lifecycle;

/// <summary>Issue 18, bug 2: a failed Unix-socket connect says what is wrong with the socket file, and names it.</summary>
public class UnixConnectFailureMessageTests
{
    [Test]
    public async Task A_missing_socket_file_is_reported_as_missing_with_its_path()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-bug2-");
        try
        {
            var path = Path.Combine(directory.FullName, "missing.sock");

            var error = await TestSupport.ErrorOf(QmpClient.ConnectAsync(QmpEndpoint.Parse("unix:" + path)));

            Assert.That(error, Is.TypeOf<QmpConnectionException>());
            Assert.Multiple(() =>
            {
                Assert.That(error!.Message, Does.Contain("does not exist"));
                Assert.That(error.Message, Does.Contain(path));
                Assert.That(error.Message, Does.Not.Contain("Cannot assign requested address"));
                Assert.That(QmpConnectRetry.IsServerNotUpYet((QmpConnectionException)error), Is.True, "still retried as 'not up yet'");
            });
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_socket_file_nobody_listens_on_is_reported_as_refused_with_its_path()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-bug2-");
        try
        {
            var path = Path.Combine(directory.FullName, "stale.sock");
            // Bound but never listening: the file is there and nothing accepts (what a server that stopped listening leaves).
            // Kept open: .NET deletes the file of a bound Unix socket when the socket is disposed.
            using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            stale.Bind(new UnixDomainSocketEndPoint(path));

            var error = await TestSupport.ErrorOf(QmpClient.ConnectAsync(QmpEndpoint.Unix(path)));

            Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).EqualTo(SocketError.ConnectionRefused));
            Assert.Multiple(() =>
            {
                Assert.That(error!.Message, Does.Contain("refused"));
                Assert.That(error.Message, Does.Contain("nothing listens"));
                Assert.That(error.Message, Does.Contain(path));
            });
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
