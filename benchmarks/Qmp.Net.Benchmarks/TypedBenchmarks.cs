using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Qmp.Net.Qapi;

namespace Qmp.Net.Benchmarks;

/// <summary>Issue 8's cost budget: a typed <c>client.Commands.QueryStatusAsync()</c> (Qmp.Net.Qapi) against the untyped
/// <c>ExecuteAsync("query-status")</c>, one sequential round trip each over a Unix socket to the in-process
/// <see cref="QmpResponder"/>. The typed client with the check on has the connected server's schema (a recorded QEMU
/// 7.2 schema the responder serves) read before the measurement, so every call is validated against it; the other typed
/// client has the check off. Budget: at most 10 % more time and 25 % more allocation than the baseline.</summary>
[MemoryDiagnoser]
public class TypedBenchmarks
{
    private QmpResponder _server = null!;
    private QmpClient _untyped = null!;
    private QmpClient _checked = null!;
    private QmpClient _unchecked = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = QmpResponder.Start(Transport.Unix, schemaReply: RecordedSchema.Reply);
        _untyped = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
        _checked = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();
        _unchecked = QmpClient.ConnectAsync(_server.Endpoint).GetAwaiter().GetResult();

        var schema = _checked.PrepareQapiCheckAsync().GetAwaiter().GetResult();
        if (!schema.Commands.ContainsKey("query-status"))
        {
            throw new InvalidOperationException("The recorded schema has no query-status.");
        }

        _unchecked.SetQapiCheck(QapiCheckOptions.Default with { Enabled = false });
        foreach (var client in new[] { _checked, _unchecked })
        {
            var status = client.Commands.QueryStatusAsync().GetAwaiter().GetResult();
            if (status.Status != RunState.Running || !status.Running)
            {
                throw new InvalidOperationException($"The typed query-status read {status}.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var client in new[] { _untyped, _checked, _unchecked })
        {
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "ExecuteAsync(\"query-status\")")]
    public Task<JsonElement> Untyped() => _untyped.ExecuteAsync("query-status");

    [Benchmark(Description = "QueryStatusAsync, check on")]
    public Task<Qapi.StatusInfo> TypedChecked() => _checked.Commands.QueryStatusAsync();

    [Benchmark(Description = "QueryStatusAsync, check off")]
    public Task<Qapi.StatusInfo> TypedUnchecked() => _unchecked.Commands.QueryStatusAsync();
}
