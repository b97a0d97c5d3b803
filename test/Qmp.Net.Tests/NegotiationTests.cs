using System.Text;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public class NegotiationTests
{
    [Test]
    public async Task Oob_is_enabled_when_offered_and_wanted()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(server.Commands.Single().RawText, Is.EqualTo("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"));
            Assert.That(client.NegotiatedCapabilities, Is.EqualTo(new[] { "oob" }));
            Assert.That(server.EnabledCapabilities, Is.EqualTo(new[] { "oob" }));
        });
    }

    [Test]
    public async Task Negotiation_is_plain_when_EnableOob_is_false()
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { EnableOob = false });

        Assert.Multiple(() =>
        {
            Assert.That(server.Commands.Single().RawText, Is.EqualTo("{\"execute\":\"qmp_capabilities\"}"));
            Assert.That(client.NegotiatedCapabilities, Is.Empty);
            Assert.That(server.IsNegotiated, Is.True);
            Assert.That(server.EnabledCapabilities, Is.Empty);
        });
    }

    [Test]
    public async Task Negotiation_is_plain_when_the_server_offers_no_oob()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Capabilities = [] });
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(server.Commands.Single().RawText, Is.EqualTo("{\"execute\":\"qmp_capabilities\"}"));
            Assert.That(client.NegotiatedCapabilities, Is.Empty);
        });
    }

    [Test]
    public async Task The_greeting_is_exposed()
    {
        var version = new QmpVersion(8, 1, 3, "custom build");
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { Version = version, Capabilities = ["oob", "future-cap"] });
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(client.Greeting!.Version, Is.EqualTo(version));
            Assert.That(client.Greeting.Capabilities, Is.EqualTo(new[] { "oob", "future-cap" }));
            Assert.That(client.NegotiatedCapabilities, Is.EqualTo(new[] { "oob" }), "only what the client knows");
        });
    }

    [Test]
    public async Task NegotiatedCapabilities_is_empty_until_negotiation_succeeds()
    {
        await using var server = await QmpTestServer.StartAsync();
        using var gate = server.HoldReplies();
        await using var client = new QmpClient(server.Endpoint);
        var connect = client.ConnectAsync();
        await server.WaitForCommandAsync("qmp_capabilities").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(client.State, Is.EqualTo(QmpState.Negotiating));
            Assert.That(client.Greeting, Is.Not.Null);
            Assert.That(client.NegotiatedCapabilities, Is.Empty);
            Assert.That(connect.IsCompleted, Is.False, "not ready before the negotiation reply");
        });
        gate.Open();
        await connect.Bounded();
        Assert.That(client.NegotiatedCapabilities, Is.EqualTo(new[] { "oob" }));
    }

    [TestCase("{\"return\": {}}", TestName = "A_response_instead_of_a_greeting_is_an_UnexpectedResponse")]
    [TestCase("{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 1}}", TestName = "An_event_instead_of_a_greeting_is_an_UnexpectedResponse")]
    [TestCase("{\"QMP\": 5}", TestName = "A_greeting_that_is_no_object_is_an_UnexpectedResponse")]
    [TestCase("{\"QMP\": {\"version\": {}}}", TestName = "A_greeting_without_version_is_an_UnexpectedResponse")]
    [TestCase("{\"QMP\": {\"version\": {\"qemu\": {\"major\": \"7\", \"minor\": 2, \"micro\": 0}}}}", TestName = "A_greeting_with_a_text_version_is_an_UnexpectedResponse")]
    [TestCase("{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}}, \"capabilities\": \"oob\"}}", TestName = "A_greeting_with_capabilities_no_array_is_an_UnexpectedResponse")]
    [TestCase("[\"QMP\"]", TestName = "A_greeting_that_is_an_array_is_an_UnexpectedResponse")]
    public async Task A_bad_greeting_fails_connecting(string greeting)
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with { RawGreeting = Encoding.UTF8.GetBytes(greeting + "\r\n") });
        await using var client = new QmpClient(server.Endpoint);

        var error = await TestSupport.ErrorOf(client.ConnectAsync());

        Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.UnexpectedResponse));
        Assert.Multiple(() =>
        {
            Assert.That(client.Completion.Exception?.InnerException, Is.SameAs(error));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
            Assert.That(server.Commands, Is.Empty);
        });
    }

    [Test]
    public async Task Completion_has_failed_by_the_time_a_failed_connect_reports_it()
    {
        // The read loop is held in the middle of ending the connection (in its "connection failed" log call, made before
        // Completion was set). A connect that failed at that point would report an error that Completion did not have yet
        // (seen in CI: the greeting's waiter resumed on another thread while Completion was still running).
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with
        {
            RawGreeting = "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 1}}\r\n"u8.ToArray(),
        });
        using var logger = new HeldConnectionFailedLog(TimeSpan.FromSeconds(2));
        await using var client = new QmpClient(server.Endpoint, QmpClientOptions.Default with { LoggerFactory = logger });

        var (error, outcome) = await logger.FailureAndCompletionAsync(client.ConnectAsync(), client);

        Assert.That(outcome, Is.SameAs(error), "ConnectAsync failed before Completion did");
    }

    [Test]
    public async Task Completion_has_failed_by_the_time_a_connect_broken_during_negotiation_reports_it()
    {
        // As above, with the break during qmp_capabilities: the negotiation command fails while Completion is not set yet.
        await using var server = await QmpTestServer.StartAsync();
        using var gate = server.HoldReplies();
        using var logger = new HeldConnectionFailedLog(TimeSpan.FromSeconds(2));
        await using var client = new QmpClient(server.Endpoint, QmpClientOptions.Default with { LoggerFactory = logger });

        var connect = client.ConnectAsync();
        await server.WaitForCommandAsync("qmp_capabilities").Bounded();
        await server.CloseMidMessageAsync().Bounded();
        var (error, outcome) = await logger.FailureAndCompletionAsync(connect, client);

        Assert.Multiple(() =>
        {
            Assert.That(outcome, Is.SameAs(error), "ConnectAsync failed before Completion did");
            Assert.That(error, Is.TypeOf<QmpCommunicationException>());
        });
    }

    [Test]
    public async Task A_minimal_greeting_without_package_and_capabilities_is_accepted()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.Default with
        {
            RawGreeting = "{\"QMP\":{\"version\":{\"qemu\":{\"major\":1,\"minor\":2,\"micro\":3}}}}"u8.ToArray(),
        });
        await using var client = await TestSupport.ConnectAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(client.Greeting, Is.EqualTo(new QmpGreeting(new QmpVersion(1, 2, 3, ""), [])).Using<QmpGreeting>((a, b) =>
                a.Version == b.Version && a.Capabilities.SequenceEqual(b.Capabilities)));
            Assert.That(server.Commands.Single().RawText, Is.EqualTo("{\"execute\":\"qmp_capabilities\"}"));
        });
    }

    [Test]
    public async Task An_error_reply_to_qmp_capabilities_fails_ConnectAsync_and_Completion_with_QmpErrorException()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("qmp_capabilities", "GenericError", "negotiation refused");
        await using var client = new QmpClient(server.Endpoint);

        var error = await TestSupport.ErrorOf(client.ConnectAsync());

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        var qmpError = (QmpErrorException)error!;
        Assert.Multiple(() =>
        {
            Assert.That(qmpError.Command, Is.EqualTo("qmp_capabilities"));
            Assert.That(qmpError.ErrorClass, Is.EqualTo("GenericError"));
            Assert.That(qmpError.Description, Is.EqualTo("negotiation refused"));
            Assert.That(client.Completion.Exception?.InnerException, Is.SameAs(error));
            Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        });
    }

    [Test]
    public async Task The_static_ConnectAsync_disposes_the_client_when_negotiation_fails()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("qmp_capabilities", "GenericError", "no");

        Assert.That(() => QmpClient.ConnectAsync(server.Endpoint).Bounded(), Throws.TypeOf<QmpErrorException>());
        await server.WaitForDisconnectAsync().Bounded();
        Assert.That(server.IsClientConnected, Is.False);
    }

    [Test]
    public async Task An_event_before_the_negotiation_reply_is_delivered_and_not_taken_for_the_reply()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("qmp_capabilities", async (_, ct) =>
        {
            await server.EmitEventAsync("EARLY", new { n = 1 }, cancellationToken: ct);
            return null;
        });
        await using var client = await TestSupport.ConnectAsync(server);

        var early = await client.Events.ReadAsync().Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(early.Name, Is.EqualTo("EARLY"));
            Assert.That(early.Sequence, Is.EqualTo(1));
            Assert.That(client.NegotiatedCapabilities, Is.EqualTo(new[] { "oob" }));
            Assert.That(client.State, Is.EqualTo(QmpState.Idle));
        });
    }
}
