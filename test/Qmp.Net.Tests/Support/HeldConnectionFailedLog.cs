using Microsoft.Extensions.Logging;

namespace Qmp.Net.Tests.Support;

/// <summary>Holds the thread that logs <see cref="QmpEventId.ConnectionFailed"/> (the one ending a broken connection) in that
/// call until <see cref="Release"/> or the bound, so that a test can see what callers observe while the end is under way.</summary>
internal sealed class HeldConnectionFailedLog(TimeSpan bound) : ILoggerFactory, ILogger
{
    private readonly ManualResetEventSlim _gate = new();

    /// <summary>Completes when the log call has returned (it was held until <see cref="Release"/> or the bound).</summary>
    public TaskCompletionSource Left { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.Set();

    /// <summary>Waits for <paramref name="failing"/> to fail and takes what <paramref name="client"/>'s
    /// <see cref="QmpClient.Completion"/> had ended with at that moment (null when it had not ended); then releases the held
    /// log call and waits until it has returned.</summary>
    public async Task<(Exception? Error, Exception? CompletionError)> FailureAndCompletionAsync(Task failing, QmpClient client)
    {
        var error = await TestSupport.ErrorOf(failing);
        var completion = client.Completion;
        var completionError = completion.IsCompleted ? completion.Exception?.InnerException : null;
        Release();
        await Left.Task.Bounded();
        return (error, completionError);
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == QmpEventId.ConnectionFailed)
        {
            _gate.Wait(bound);
            Left.TrySetResult();
        }
    }

    public void Dispose() => _gate.Set();
}
