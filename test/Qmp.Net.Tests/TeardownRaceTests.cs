using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>Teardown that starts on a thread the user does not own (the transaction timer's) and meets a caller's
/// <see cref="QmpClient.DisposeAsync"/> half-way: nothing may throw there, or the process dies.</summary>
/// <remarks>A logger that holds the timer thread on its Warning ("connection failed") makes the race deterministic: the
/// caller disposes the client while the timer's teardown is still running (and about to fail the timed-out command).</remarks>
public sealed class TeardownRaceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(200);

    [Test]
    public async Task Disposing_right_after_a_transaction_timeout_does_not_throw_on_the_timer_thread_fake_clock()
    {
        var time = new FakeTimeProvider();
        using var logger = new GatedWarningLoggerFactory();
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("query-status");
        var client = await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { TimeProvider = time, TransactionTimeout = Timeout, LoggerFactory = logger });

        var pending = client.ExecuteAsync("query-status");
        await server.WaitForCommandAsync("query-status").Bounded();

        // The fake clock runs the timer's callback on the thread that advances it: whatever the teardown throws lands here.
        var advancing = Task.Run(() => time.Advance(Timeout));
        await logger.WarningEntered.Task.Bounded();
        await client.DisposeAsync().AsTask().Bounded();
        logger.Release();
        var error = await TestSupport.ErrorOf(pending);
        var timerThreadError = await TestSupport.ErrorOf(advancing);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout));
            Assert.That(timerThreadError, Is.Null, "the timer's teardown threw on the timer thread");
        });
    }

    /// <summary>On the real clock an exception on the timer thread is unhandled and ends the test process; 20 rounds,
    /// each made deterministic by the gated logger, so that the old code never gets through.</summary>
    [Test]
    public async Task Disposing_right_after_a_transaction_timeout_on_the_real_clock_survives_20_rounds()
    {
        for (var round = 0; round < 20; round++)
        {
            using var logger = new GatedWarningLoggerFactory();
            await using var server = await QmpTestServer.StartAsync();
            server.NeverReply("query-status");
            var client = await ConnectPatientlyAsync(server, logger);

            var pending = client.ExecuteAsync("query-status");
            await logger.WarningEntered.Task.Bounded();
            await client.DisposeAsync().AsTask().Bounded();
            logger.Release();
            await logger.WarningLeft.Task.Bounded();
            var error = await TestSupport.ErrorOf(pending);
            await client.Completion.Settled();

            Assert.That(error, Is.TypeOf<QmpCommunicationException>().With.Property(nameof(QmpCommunicationException.Error)).EqualTo(QmpCommunicationError.TransactionTimeout), $"round {round}");
        }
    }

    private static async Task<QmpClient> ConnectPatientlyAsync(QmpTestServer server, ILoggerFactory logger)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TestSupport.ConnectAsync(server, QmpClientOptions.Default with { TransactionTimeout = Timeout, LoggerFactory = logger });
            }
            catch (QmpCommunicationException e) when (e.Error == QmpCommunicationError.TransactionTimeout && attempt < 20)
            {
                // A loaded machine answered qmp_capabilities too late; not what this test is about.
            }
        }
    }

    /// <summary>Holds the first thread that logs a Warning until <see cref="Release"/> (at most 10 s).</summary>
    private sealed class GatedWarningLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly ManualResetEventSlim _gate = new();
        private int _entered;

        public TaskCompletionSource WarningEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource WarningLeft { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.Set();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning || Interlocked.Exchange(ref _entered, 1) != 0)
            {
                return;
            }

            WarningEntered.TrySetResult();
            _gate.Wait(TimeSpan.FromSeconds(10));
            WarningLeft.TrySetResult();
        }

        public void Dispose() => _gate.Set();
    }
}
