using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Qmp.Net.Tests.Support;

/// <summary>One log call as a logger received it.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, object?>> State, Exception? Exception);

/// <summary>A logger factory that keeps every entry in a list, at every level, for assertions on levels, event ids and content.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    public IEnumerable<LogEntry> WithId(int eventId) => Entries.Where(e => e.EventId.Id == eventId);

    private sealed class ListLogger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), [.. values], exception));
        }
    }
}
