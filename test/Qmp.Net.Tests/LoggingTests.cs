using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Moq;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public class LoggingTests
{
    [Test]
    public async Task A_connection_logs_each_step_with_its_event_id_and_level()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("ok", _ => null);
        server.HandleError("bad", "GenericError", "no");
        await using (var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = log }))
        {
            await client.ExecuteAsync("ok").Bounded();
            await client.ExecuteAsync("bad").Settled();
            await server.EmitEventAsync("STOP").Bounded();
            await client.Events.ReadAsync().Bounded();
            await client.DisconnectAsync().Bounded();
        }

        var levels = log.Entries.GroupBy(e => e.EventId.Id).ToDictionary(g => g.Key, g => g.Select(e => e.Level).Distinct().Single());
        Assert.Multiple(() =>
        {
            Assert.That(levels[QmpEventId.Connecting], Is.EqualTo(LogLevel.Information));
            Assert.That(levels[QmpEventId.GreetingReceived], Is.EqualTo(LogLevel.Information));
            Assert.That(levels[QmpEventId.Negotiated], Is.EqualTo(LogLevel.Information));
            Assert.That(levels[QmpEventId.Disconnected], Is.EqualTo(LogLevel.Information));
            Assert.That(levels[QmpEventId.CommandSent], Is.EqualTo(LogLevel.Debug));
            Assert.That(levels[QmpEventId.CommandSucceeded], Is.EqualTo(LogLevel.Debug));
            Assert.That(levels[QmpEventId.CommandFailed], Is.EqualTo(LogLevel.Debug));
            Assert.That(levels[QmpEventId.EventReceived], Is.EqualTo(LogLevel.Debug));
            Assert.That(levels[QmpEventId.WireSent], Is.EqualTo(LogLevel.Trace));
            Assert.That(levels[QmpEventId.WireReceived], Is.EqualTo(LogLevel.Trace));
            Assert.That(log.WithId(QmpEventId.GreetingReceived).Single().Message, Does.Contain("7.2.0"));
            Assert.That(log.Entries.Select(e => e.Category).Distinct(), Is.EqualTo(new[] { "Qmp.Net.QmpClient" }));
            Assert.That(log.Entries.Where(e => e.Level >= LogLevel.Warning), Is.Empty);
        });
    }

    [Test]
    public async Task A_broken_connection_is_logged_as_a_warning_with_the_error()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = log });

        await server.SendRawAsync("[1]").Bounded();
        await client.Completion.Settled();

        var failure = log.WithId(QmpEventId.ConnectionFailed).Single();
        Assert.Multiple(() =>
        {
            Assert.That(failure.Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(failure.Message, Does.Contain(nameof(QmpCommunicationError.UnexpectedResponse)));
            Assert.That(failure.Exception, Is.TypeOf<QmpCommunicationException>());
        });
    }

    [Test]
    public async Task The_client_logs_through_the_given_factory()
    {
        var logger = new Mock<ILogger>();
        logger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns(true);
        var factory = new Mock<ILoggerFactory>();
        factory.Setup(f => f.CreateLogger(It.IsAny<string>())).Returns(logger.Object);

        await using var client = new QmpClient(QmpEndpoint.Tcp("127.0.0.1", 1), QmpClientOptions.Default with { LoggerFactory = factory.Object });
        await client.ConnectAsync().Settled();

        factory.Verify(f => f.CreateLogger("Qmp.Net.QmpClient"), Times.Once);
        logger.Verify(
            l => l.Log(LogLevel.Information, It.Is<EventId>(e => e.Id == QmpEventId.Connecting), It.IsAny<It.IsAnyType>(), null, It.IsAny<Func<It.IsAnyType, Exception?, string>>()),
            Times.Once);
        logger.Verify(
            l => l.Log(LogLevel.Warning, It.Is<EventId>(e => e.Id == QmpEventId.ConnectFailed), It.IsAny<It.IsAnyType>(), It.Is<Exception>(e => e is QmpConnectionException), It.IsAny<Func<It.IsAnyType, Exception?, string>>()),
            Times.Once);
    }

    [Test]
    public async Task Nothing_is_logged_below_the_enabled_level()
    {
        var logger = new Mock<ILogger>();
        logger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns<LogLevel>(level => level >= LogLevel.Information);
        var factory = new Mock<ILoggerFactory>();
        factory.Setup(f => f.CreateLogger(It.IsAny<string>())).Returns(logger.Object);
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("x", _ => null);
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = factory.Object });

        await client.ExecuteAsync("x").Bounded();

        logger.Verify(
            l => l.Log(It.Is<LogLevel>(level => level < LogLevel.Information), It.IsAny<EventId>(), It.IsAny<It.IsAnyType>(), It.IsAny<Exception?>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()),
            Times.Never);
    }

    [Test]
    public async Task Secrets_reach_no_log_sink_at_any_level()
    {
        const string vncSecret = "VNC-s3cr3t-1", changeSecret = "VNC-s3cr3t-2", objectSecret = "OBJ-s3cr3t-3", echoedSecret = "ECHO-s3cr3t-4";
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("set_password", _ => null);
        server.Handle("change-vnc-password", _ => null);
        server.Handle("object-add", args => new { Echo = args, Password = echoedSecret });
        server.HandleError("block_passwd", "GenericError", "bad");
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = log, SendCommandIds = true });

        await client.ExecuteAsync("set_password", new { Protocol = "vnc", Password = vncSecret }).Bounded();
        await client.ExecuteAsync("change-vnc-password", new Dictionary<string, object> { ["password"] = changeSecret }).Bounded();
        await client.ExecuteAsync("object-add", new { QomType = "secret", Id = "sec0", Data = objectSecret, Format = "raw" }).Bounded();
        await client.ExecuteAsync("block_passwd", new { Device = "d", Password = vncSecret }).Settled();
        await client.DisconnectAsync().Bounded();

        var sent = string.Join("\n", server.Commands.Select(c => c.RawText));
        var logged = new List<string>();
        foreach (var entry in log.Entries)
        {
            logged.Add(entry.Message);
            logged.AddRange(entry.State.Select(kv => kv.Value?.ToString() ?? string.Empty));
            logged.Add(entry.Exception?.ToString() ?? string.Empty);
        }

        Assert.Multiple(() =>
        {
            Assert.That(sent, Does.Contain(vncSecret).And.Contain(changeSecret).And.Contain(objectSecret), "the secrets did go to the server");
            Assert.That(log.WithId(QmpEventId.WireSent).Count(), Is.GreaterThanOrEqualTo(5), "the wire was logged at Trace");
            Assert.That(log.WithId(QmpEventId.WireSent).Select(e => e.Message), Has.Some.Contains("***"));
            foreach (var secret in new[] { vncSecret, changeSecret, objectSecret, echoedSecret })
            {
                Assert.That(logged, Has.None.Contains(secret), secret);
            }
        });
    }

    [Test]
    public async Task Connect_errors_log_their_socket_error()
    {
        var log = new ListLoggerFactory();
        await using var client = new QmpClient(QmpEndpoint.Unix("/nonexistent/qmp.sock"), QmpClientOptions.Default with { LoggerFactory = log });

        await client.ConnectAsync().Settled();

        Assert.That(log.WithId(QmpEventId.ConnectFailed).Single().Exception, Is.TypeOf<QmpConnectionException>().With.Property(nameof(QmpConnectionException.SocketError)).Not.EqualTo(SocketError.Success));
    }
}
