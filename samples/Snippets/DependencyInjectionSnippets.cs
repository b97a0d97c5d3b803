using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Qmp.Net;
using Qmp.Net.Testing;

namespace Snippets;

/// <summary>The C# of docs/howto-di.md: a <see cref="QmpClient"/> from a service container, logging through the
/// container's <see cref="ILoggerFactory"/>, traced and measured by OpenTelemetry. Runs against the QemuLike test server,
/// so that the log messages and the exported activity can be checked.</summary>
[CancelAfter(30_000)]
public sealed class DependencyInjectionSnippets
{
    [Test]
    public async Task A_client_from_the_container_logs_and_traces()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        var endpoint = server.Endpoint;
        var logged = new CollectingLoggerProvider();
        using var output = new ConsoleCapture();

        #region opentelemetry
        // Qmp.Net publishes through System.Diagnostics: one activity source and one meter, both named QmpTelemetry.Name.
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(QmpTelemetry.Name)
            .AddConsoleExporter()
            .Build();
        using var metrics = Sdk.CreateMeterProviderBuilder()
            .AddMeter(QmpTelemetry.Name)
            .AddConsoleExporter()
            .Build();
        #endregion

        #region dependency-injection
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConsole().SetMinimumLevel(LogLevel.Debug));

        // One client per VM. Its options take the container's ILoggerFactory: the client's messages (ids in QmpEventId)
        // go wherever the application's logs go. The container disposes the client, which closes the connection.
        services.AddSingleton(provider => new QmpClient(endpoint, QmpClientOptions.Default with
        {
            LoggerFactory = provider.GetRequiredService<ILoggerFactory>(),
        }));

        await using var serviceProvider = services.BuildServiceProvider();
        var client = serviceProvider.GetRequiredService<QmpClient>();
        await client.ConnectAsync();
        var status = await client.ExecuteAsync("query-status");
        #endregion

        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"));

        await serviceProvider.DisposeAsync();                   // the test server takes one client at a time
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected), "the container disposed the client");

        // The same container, with a provider of the test's own beside the console: the client logged through it.
        var withCollector = new ServiceCollection();
        withCollector.AddLogging(logging => logging.AddProvider(logged).SetMinimumLevel(LogLevel.Debug));
        withCollector.AddSingleton(provider => new QmpClient(endpoint, QmpClientOptions.Default with
        {
            LoggerFactory = provider.GetRequiredService<ILoggerFactory>(),
        }));
        await using (var checkedProvider = withCollector.BuildServiceProvider())
        {
            await checkedProvider.GetRequiredService<QmpClient>().ConnectAsync();
        }

        Assert.That(logged.Categories, Has.Some.StartsWith("Qmp.Net"));
        tracing!.ForceFlush();
        Assert.That(output.ToString(), Does.Contain("query-status"), "the console exporter printed the command's activity");
    }

    /// <summary>Collects the categories the client logs under.</summary>
    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _categories = new();

        public IReadOnlyCollection<string> Categories => _categories;

        public ILogger CreateLogger(string categoryName)
        {
            _categories.Enqueue(categoryName);
            return Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        }

        public void Dispose()
        {
        }
    }
}
