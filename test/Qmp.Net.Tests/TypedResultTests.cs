using System.Text.Json;
using System.Text.Json.Serialization;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

public sealed record StatusInfo(string Status, bool Running, bool? Singlestep);

public sealed record Positive
{
    private readonly int _n;

    public int N
    {
        get => _n;
        init => _n = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must be positive");
    }
}

public sealed record MemoryBackendArguments(string QomType, string Id, long Size);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower)]
[JsonSerializable(typeof(StatusInfo))]
[JsonSerializable(typeof(MemoryBackendArguments))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class TestJsonContext : JsonSerializerContext;

public class TypedResultTests
{
    private static async Task<QmpTestServer> StartAsync()
    {
        var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => new { Status = "running", Running = true, Singlestep = false });
        server.Handle("query-name", _ => new { Status = 5, Running = "yes" });
        server.Handle("echo", args => args);
        return server;
    }

    [Test]
    public async Task ExecuteAsync_of_T_deserializes_a_record_with_kebab_case_names()
    {
        await using var server = await StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var status = await client.ExecuteAsync<StatusInfo>("query-status").Bounded();

        Assert.That(status, Is.EqualTo(new StatusInfo("running", true, false)));
    }

    [Test]
    public async Task ExecuteAsync_with_a_source_generated_JsonTypeInfo_deserializes_the_result()
    {
        await using var server = await StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var status = await client.ExecuteAsync("query-status", null, TestJsonContext.Default.StatusInfo).Bounded();

        Assert.That(status, Is.EqualTo(new StatusInfo("running", true, false)));
    }

    [Test]
    public async Task ExecuteAsync_with_source_generated_arguments_and_result_writes_and_reads_both()
    {
        await using var server = await StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var echoed = await client.ExecuteAsync("echo", new MemoryBackendArguments("memory-backend-ram", "m0", 4096), TestJsonContext.Default.MemoryBackendArguments, TestJsonContext.Default.MemoryBackendArguments).Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(server.Commands[^1].RawText, Is.EqualTo("{\"execute\":\"echo\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m0\",\"size\":4096}}"));
            Assert.That(echoed, Is.EqualTo(new MemoryBackendArguments("memory-backend-ram", "m0", 4096)));
        });
    }

    [Test]
    public async Task A_result_that_does_not_fit_T_raises_JsonException_and_the_connection_stays_usable()
    {
        await using var server = await StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteAsync<StatusInfo>("query-name"));
        var typedError = await TestSupport.ErrorOf(client.ExecuteAsync("query-name", null, TestJsonContext.Default.StatusInfo));
        var next = await client.ExecuteAsync<StatusInfo>("query-status").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.InstanceOf<JsonException>().With.Message.Contains("query-name"));
            Assert.That(typedError, Is.InstanceOf<JsonException>());
            Assert.That(next.Running, Is.True);
            Assert.That(client.IsConnected, Is.True);
        });
    }

    [Test]
    public async Task A_result_type_that_throws_while_being_read_fails_only_its_command()
    {
        await using var server = await StartAsync();
        server.Handle("negative", _ => new { N = -1 });
        await using var client = await TestSupport.ConnectAsync(server);

        var error = await TestSupport.ErrorOf(client.ExecuteAsync<Positive>("negative"));
        var next = await client.ExecuteAsync<StatusInfo>("query-status").Bounded();

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.InstanceOf<JsonException>().With.InnerException.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(next.Running, Is.True);
            Assert.That(client.Completion.IsCompleted, Is.False, "the connection stays up");
        });
    }

    [Test]
    public async Task ExecuteOobAsync_with_a_JsonTypeInfo_deserializes_the_result()
    {
        await using var server = await StartAsync();
        await using var client = await TestSupport.ConnectAsync(server);

        var status = await client.ExecuteOobAsync("query-status", null, TestJsonContext.Default.StatusInfo).Bounded();

        Assert.That(status.Status, Is.EqualTo("running"));
    }
}
