using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>No secret the caller sent appears in an exception's message or <c>ToString()</c>: not when the server's error
/// description echoes it, and not when the arguments cannot be serialized.</summary>
public class SecretsInExceptionsTests
{
    private const string Secret = "hunter2-S3cr3t";

    private static async Task<Exception?> ErrorOf(Func<Task> call)
    {
        try
        {
            return await TestSupport.ErrorOf(call());
        }
        catch (Exception e)
        {
            return e; // thrown synchronously, before a task existed
        }
    }

    private static void AssertNoSecret(Exception? error)
    {
        Assert.That(error, Is.Not.Null);
        Assert.Multiple(() =>
        {
            for (var e = error; e is not null; e = e.InnerException)
            {
                Assert.That(e.Message, Does.Not.Contain(Secret), e.GetType().Name + ".Message");
            }

            Assert.That(error!.ToString(), Does.Not.Contain(Secret), "ToString()");
        });
    }

    [Test]
    public async Task An_error_reply_to_set_password_that_echoes_the_password_does_not_carry_it_into_the_exception()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("set_password", args => throw new QmpTestServerError("GenericError", $"Could not set password '{args.GetProperty("password").GetString()}' for vnc"));
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("set_password", new { Protocol = "vnc", Password = Secret }));

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        AssertNoSecret(error);
        var qmpError = (QmpErrorException)error!;
        Assert.Multiple(() =>
        {
            Assert.That(qmpError.Description, Is.EqualTo("Could not set password '***' for vnc"), "the rest of the server's text is kept");
            Assert.That(qmpError.ErrorClass, Is.EqualTo("GenericError"));
            Assert.That(server.Commands.Single(c => c.Name == "set_password").RawText, Does.Contain(Secret), "the password did reach the server");
        });
    }

    [Test]
    public async Task An_error_reply_that_echoes_the_password_does_not_carry_it_into_the_log_either()
    {
        var log = new ListLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("set_password", args => throw new QmpTestServerError("GenericError", "Could not set password " + args.GetProperty("password").GetString()));
        await using var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { LoggerFactory = log });

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("set_password", new { Protocol = "vnc", Password = Secret }));

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        var failed = log.WithId(QmpEventId.CommandFailed).Single();
        Assert.Multiple(() =>
        {
            Assert.That(failed.Message, Does.Contain("Could not set password ***"));
            Assert.That(failed.State.Select(kv => kv.Value?.ToString()), Has.None.Contains(Secret));
        });
    }

    [Test]
    public async Task An_error_reply_echoing_the_data_of_a_secret_object_does_not_carry_it_into_the_exception()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("object-add", args => throw new QmpTestServerError("GenericError", $"Invalid base64 data: {args.GetProperty("data").GetString()}"));
        await using var client = await TestSupport.ConnectAsync(server);
        var arguments = new JsonObject { ["qom-type"] = "secret", ["id"] = "sec0", ["data"] = Secret, ["format"] = "base64" };

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("object-add", arguments));

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        AssertNoSecret(error);
    }

    [Test]
    public async Task An_error_reply_echoing_a_password_sent_out_of_band_does_not_carry_it_into_the_exception()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("change-vnc-password", args => throw new QmpTestServerError("GenericError", "bad password " + args.GetProperty("password").GetString()));
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteOobAsync("change-vnc-password", new { Password = Secret }));

        Assert.That(error, Is.TypeOf<QmpErrorException>());
        AssertNoSecret(error);
    }

    [Test]
    public async Task An_error_reply_that_echoes_an_argument_that_is_no_secret_is_kept_word_for_word()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.HandleError("device_del", "DeviceNotFound", "Device 'nic0' not found");
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteAsync("device_del", new { Id = "nic0" }));

        Assert.That(error, Is.TypeOf<QmpErrorException>().With.Property(nameof(QmpErrorException.Description)).EqualTo("Device 'nic0' not found"));
    }

    private static IEnumerable<TestCaseData> Unserializable()
    {
        yield return new TestCaseData((object)Secret).SetArgDisplayNames("a string");
        yield return new TestCaseData(JsonSerializer.SerializeToElement(new[] { Secret })).SetArgDisplayNames("an array element");
        yield return new TestCaseData(new JsonArray(Secret)).SetArgDisplayNames("a JsonArray");
        yield return new TestCaseData(new Dictionary<string, object> { ["password"] = Secret, ["bad"] = new Unwritable() }).SetArgDisplayNames("a member that cannot be serialized");
    }

    [TestCaseSource(nameof(Unserializable))]
    public async Task Arguments_that_cannot_be_sent_fail_without_their_values_in_the_exception(object arguments)
    {
        await using var server = await QmpTestServer.StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await ErrorOf(() => client.ExecuteAsync("set_password", arguments));

        TestContext.Out.WriteLine(error);
        Assert.That(error, Is.InstanceOf<ArgumentException>().Or.InstanceOf<NotSupportedException>().Or.InstanceOf<JsonException>().Or.InstanceOf<InvalidOperationException>());
        AssertNoSecret(error);
        Assert.That(server.Commands.Where(c => c.Name == "set_password"), Is.Empty, "nothing was sent");
        Assert.That(client.IsConnected, Is.True, "a caller's bad arguments do not break the connection");
    }

    /// <summary>A value System.Text.Json refuses to write (a delegate).</summary>
    private sealed class Unwritable
    {
        public Action Callback { get; } = () => { };
    }
}
