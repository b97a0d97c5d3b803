using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public class ConnectTests
{
    private static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [Test]
    public async Task Connection_refused_raises_QmpConnectionException()
    {
        var log = new ListLoggerFactory();
        await using var client = new QmpClient(QmpEndpoint.Tcp("127.0.0.1", FreeTcpPort()), QmpClientOptions.Default with { LoggerFactory = log });

        var error = await TestSupport.ErrorOf(client.ConnectAsync());

        Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).EqualTo(SocketError.ConnectionRefused));
        Assert.Multiple(() =>
        {
            Assert.That(client.Completion.Exception?.InnerException, Is.SameAs(error));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
            Assert.That(log.WithId(QmpEventId.ConnectFailed).Single().Level, Is.EqualTo(LogLevel.Warning));
        });
    }

    [Test]
    public async Task A_missing_unix_socket_file_raises_QmpConnectionException()
    {
        var path = Path.Combine(Path.GetTempPath(), $"qmp-missing-{Guid.NewGuid():N}.sock");
        await using var client = new QmpClient(QmpEndpoint.Unix(path));

        var error = await TestSupport.ErrorOf(client.ConnectAsync());

        Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).EqualTo(SocketError.AddressNotAvailable));
        Assert.That(QmpConnectRetry.IsServerNotUpYet((QmpConnectionException)error!), Is.True);
    }

    [Test]
    public async Task ConnectRetry_retries_until_the_server_appears()
    {
        var directory = Directory.CreateTempSubdirectory("qmp-retry-");
        var path = Path.Combine(directory.FullName, "late.sock");
        QmpTestServer? server = null;
        var attempts = 0;
        try
        {
            var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 3,
                Delay = TimeSpan.Zero,
                ShouldHandle = new PredicateBuilder().Handle<QmpConnectionException>(QmpConnectRetry.IsServerNotUpYet),
                OnRetry = async args =>
                {
                    attempts = args.AttemptNumber + 1;
                    server ??= await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { SocketPath = path });
                },
            }).Build();

            await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(path), QmpClientOptions.Default with { ConnectRetry = retry }).Bounded();

            Assert.Multiple(() =>
            {
                Assert.That(attempts, Is.EqualTo(1), "one failed attempt before the server existed");
                Assert.That(client.IsConnected, Is.True);
                Assert.That(server!.ConnectionCount, Is.EqualTo(1));
            });
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task ConnectRetry_gives_up_with_QmpConnectionException_after_its_retries()
    {
        var port = FreeTcpPort();
        var retries = 0;
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.Zero,
            ShouldHandle = new PredicateBuilder().Handle<QmpConnectionException>(QmpConnectRetry.IsServerNotUpYet),
            OnRetry = _ =>
            {
                retries++;
                return default;
            },
        }).Build();

        var error = await TestSupport.ErrorOf(QmpClient.ConnectAsync(QmpEndpoint.Tcp("127.0.0.1", port), QmpClientOptions.Default with { ConnectRetry = retry }));

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpConnectionException>());
            Assert.That(retries, Is.EqualTo(2), "the pipeline wraps the connection step");
        });
    }

    [Test]
    public void QmpConnectRetry_treats_only_not_up_yet_errors_as_retryable()
    {
        Assert.Multiple(() =>
        {
            Assert.That(QmpConnectRetry.IsServerNotUpYet(new QmpConnectionException(SocketError.ConnectionRefused, "x")), Is.True);
            Assert.That(QmpConnectRetry.IsServerNotUpYet(new QmpConnectionException(SocketError.AddressNotAvailable, "x")), Is.True);
            Assert.That(QmpConnectRetry.IsServerNotUpYet(new QmpConnectionException(SocketError.TimedOut, "x")), Is.False);
            Assert.That(QmpConnectRetry.IsServerNotUpYet(new QmpConnectionException(SocketError.AccessDenied, "x")), Is.False);
            Assert.That(() => QmpConnectRetry.Create(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public async Task A_client_connects_over_TCP()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Transport = QmpTestServerTransport.Tcp });
        server.Handle("query-status", _ => new { status = "running" });
        await using var client = await TestSupport.ConnectAsync(server);

        var status = await client.ExecuteAsync("query-status").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(server.Endpoint, Is.TypeOf<QmpTcpEndpoint>());
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"));
        });
    }

    [Test]
    public async Task A_host_name_is_resolved_at_connect_time()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Transport = QmpTestServerTransport.Tcp });
        var port = ((QmpTcpEndpoint)server.Endpoint).Port;
        await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Tcp("localhost", port)).Bounded();

        Assert.That(client.IsConnected, Is.True);
    }

    [Test]
    public async Task A_server_that_closes_before_the_greeting_fails_connecting()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { SendGreeting = false });
        await using var client = new QmpClient(server.Endpoint);
        var awaitingGreeting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.NewState == QmpState.AwaitingGreeting)
            {
                awaitingGreeting.TrySetResult();
            }
        };

        var connect = client.ConnectAsync();
        await awaitingGreeting.Task.Bounded();
        await server.WaitForClientAsync().Bounded();
        await server.CloseConnectionAsync().Bounded();

        var error = await TestSupport.ErrorOf(connect);

        Assert.That(error, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).EqualTo(SocketError.ConnectionReset));
        Assert.That(client.Completion.Exception?.InnerException, Is.SameAs(error));
    }
}
