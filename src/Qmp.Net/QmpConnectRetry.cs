using System.Net.Sockets;
using Polly;
using Polly.Retry;

namespace Qmp.Net;

/// <summary>Builds the resilience pipelines that <see cref="QmpClientOptions.ConnectRetry"/> takes.</summary>
public static class QmpConnectRetry
{
    /// <summary>Creates a pipeline that retries a connection attempt while the server is not there yet: the socket file
    /// does not exist or the connection is refused (a freshly started QEMU accepts only once its main loop runs).</summary>
    /// <param name="maxRetryAttempts">How many times to retry after the first attempt (at least 1).</param>
    /// <param name="delay">The delay between attempts (constant).</param>
    /// <returns>The pipeline, for <see cref="QmpClientOptions.ConnectRetry"/>.</returns>
    /// <example><code>
    /// var options = QmpClientOptions.Default with { ConnectRetry = QmpConnectRetry.Create(50, TimeSpan.FromMilliseconds(100)) };
    /// await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Unix(path), options);
    /// </code></example>
    public static ResiliencePipeline Create(int maxRetryAttempts = 50, TimeSpan? delay = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRetryAttempts, 1);
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetryAttempts,
                Delay = delay ?? TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Constant,
                ShouldHandle = new PredicateBuilder().Handle<QmpConnectionException>(IsServerNotUpYet),
            })
            .Build();
    }

    /// <summary>Tells whether a connection failure means the server is not listening yet (refused, or no socket file).</summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> for <see cref="SocketError.ConnectionRefused"/>, <see cref="SocketError.AddressNotAvailable"/>
    /// and a missing socket file.</returns>
    public static bool IsServerNotUpYet(QmpConnectionException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.SocketError is SocketError.ConnectionRefused or SocketError.AddressNotAvailable;
    }
}
