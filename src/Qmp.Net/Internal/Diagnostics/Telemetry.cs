using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Qmp.Net.Internal;

/// <summary>Qmp.Net's instruments and activity source, and the tracking of one command. Nothing is measured, allocated or
/// started unless a listener is attached: every entry point checks <see cref="Instrument.Enabled"/> or
/// <see cref="ActivitySource.HasListeners"/> first.</summary>
internal static class Telemetry
{
    /// <summary>Distinct command names tagged before further ones are tagged <see cref="OtherCommand"/>: QEMU has about 250
    /// commands, but a name is caller input and must not make tag cardinality unbounded.</summary>
    internal const int MaxCommandNames = 512;
    internal const string OtherCommand = "_OTHER";

    private static readonly string s_version = typeof(Telemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
    private static readonly BoundedNames s_names = new(MaxCommandNames);

    public static readonly ActivitySource Source = new(QmpTelemetry.Name, s_version);
    public static readonly Meter Meter = new(QmpTelemetry.Name, s_version);

    public static readonly Counter<long> Commands = Meter.CreateCounter<long>(
        "qmp.client.commands", "{command}", "Commands that finished, by command (rpc.method) and outcome (qmp.outcome, error.type).");

#if NET9_0_OR_GREATER
    public static readonly Histogram<double> CommandDuration = Meter.CreateHistogram(
        "qmp.client.command.duration",
        "s",
        "Time from a command's call to its answer (or failure), by command and outcome.",
        tags: null,
        // A QMP round trip takes 0.1-1 ms; jobs and migrations are separate commands, so the buckets stop at 30 s.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
#else
    public static readonly Histogram<double> CommandDuration = Meter.CreateHistogram<double>(
        "qmp.client.command.duration", "s", "Time from a command's call to its answer (or failure), by command and outcome.");
#endif

    public static readonly UpDownCounter<long> CommandsInFlight = Meter.CreateUpDownCounter<long>(
        "qmp.client.commands.in_flight", "{command}", "Commands called and not yet finished, by command.");

    public static readonly Counter<long> Events = Meter.CreateCounter<long>(
        "qmp.client.events", "{event}", "Events received, by event name (qmp.event.name).");

    public static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>(
        "qmp.client.events.dropped", "{event}", "Events dropped because a subscription's buffer was full, by event name.");

    public static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>(
        "qmp.client.connections.opened", "{connection}", "Connections that completed negotiation.");

    public static readonly Counter<long> ConnectionsClosed = Meter.CreateCounter<long>(
        "qmp.client.connections.closed", "{connection}", "Connections that ended, by reason (qmp.close.reason).");

    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>(
        "qmp.client.bytes.sent", "By", "Bytes written to QMP servers.");

    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>(
        "qmp.client.bytes.received", "By", "Bytes read from QMP servers.");

    /// <summary>Gets a value indicating whether anything listens to a command: then <see cref="StartCommand"/> is worth calling.</summary>
    public static bool CommandsObserved => Commands.Enabled || CommandDuration.Enabled || CommandsInFlight.Enabled || Source.HasListeners();

    private static readonly CommandInstruments s_monitorCommands = new(Commands, CommandDuration, CommandsInFlight, Classify);

    /// <summary>The tag value for a command or event name, bounded to <see cref="MaxCommandNames"/> distinct values.</summary>
    public static string NameTag(string name) => s_names.Tag(name);

    /// <summary>Starts measuring and tracing one command; the caller must call <see cref="CommandTracker.Finish(Task)"/>
    /// when the command's task ends. Call only when <see cref="CommandsObserved"/>.</summary>
    public static CommandTracker StartCommand(string command, QmpEndpoint endpoint, bool oob)
    {
        var tag = NameTag(command);
        var activity = StartClientActivity(tag, endpoint, "qmp", "qmp.oob", oob);
        if (CommandsInFlight.Enabled)
        {
            CommandsInFlight.Add(1, new KeyValuePair<string, object?>("rpc.method", tag));
        }

        return new CommandTracker(tag, activity, Stopwatch.GetTimestamp(), s_monitorCommands);
    }

    /// <summary>Starts the client activity of one command (of QMP or of the guest agent), when anybody listens: the
    /// caller's <see cref="Activity.Current"/> is its parent and stays the caller's current activity after the call.</summary>
    /// <param name="tag">The command's name tag.</param>
    /// <param name="endpoint">Where the server is.</param>
    /// <param name="system">The <c>rpc.system</c> tag.</param>
    /// <param name="flagTag">The name of the protocol's own flag tag (<c>qmp.oob</c>, <c>qga.fire</c>).</param>
    /// <param name="flag">Its value.</param>
    /// <returns>The activity, or <see langword="null"/> when nobody listens.</returns>
    public static Activity? StartClientActivity(string tag, QmpEndpoint endpoint, string system, string flagTag, bool flag)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity(tag, ActivityKind.Client);
        Activity.Current = previous;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", system);
            activity.SetTag("rpc.method", tag);
            activity.SetTag(flagTag, flag);
            switch (endpoint)
            {
                case QmpTcpEndpoint tcp:
                    activity.SetTag("server.address", tcp.Host);
                    activity.SetTag("server.port", tcp.Port);
                    activity.SetTag("network.transport", "tcp");
                    break;
                case QmpUnixEndpoint unix:
                    activity.SetTag("server.address", unix.Path);
                    activity.SetTag("network.transport", "unix");
                    break;
            }
        }

        return activity;
    }

    /// <summary>The outcome tags of a finished command: <c>success</c>, <c>error</c> (the QMP error class as
    /// <c>error.type</c>), <c>timeout</c>, <c>connection_error</c> (the exception type) or <c>cancelled</c>.</summary>
    public static (string Outcome, string? ErrorType) Classify(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return ("success", null);
        }

        if (task.IsCanceled)
        {
            return ("cancelled", typeof(OperationCanceledException).FullName);
        }

        return task.Exception?.InnerException switch
        {
            QmpErrorException e => ("error", e.ErrorClass),
            QmpCommunicationException { Error: QmpCommunicationError.TransactionTimeout } => ("timeout", nameof(QmpCommunicationError.TransactionTimeout)),
            QmpException e => ("connection_error", e.GetType().FullName),
            OperationCanceledException => ("cancelled", typeof(OperationCanceledException).FullName),
            { } e => ("error", e.GetType().FullName),
            null => ("error", null),
        };
    }

    /// <summary>Adds an event to the activities of the commands in flight on a connection (when traced).</summary>
    public static void AddEventToActivities(IEnumerable<Activity> activities, string name)
    {
        foreach (var activity in activities)
        {
            activity.AddEvent(new ActivityEvent("qmp.event", tags: new ActivityTagsCollection { ["qmp.event.name"] = name }));
        }
    }

    /// <summary>Names as tag values: the first <c>capacity</c> distinct names as they are, every later one as
    /// <see cref="OtherCommand"/>.</summary>
    internal sealed class BoundedNames(int capacity)
    {
        private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);

        public string Tag(string name)
        {
            if (_names.TryGetValue(name, out var tag))
            {
                return tag;
            }

            return _names.Count < capacity ? _names.GetOrAdd(name, name) : OtherCommand;
        }
    }

    /// <summary>One command being measured: its tag, its activity (when traced), and when it started.</summary>
    /// <summary>The instruments a kind of command is measured with (the monitor's, the guest agent's), and how its
    /// outcome is classified.</summary>
    internal sealed record CommandInstruments(
        Counter<long> Commands,
        Histogram<double> CommandDuration,
        UpDownCounter<long> CommandsInFlight,
        Func<Task, (string Outcome, string? ErrorType)> Classify);

    internal sealed class CommandTracker(string tag, Activity? activity, long started, CommandInstruments instruments)
    {
        public Activity? Activity { get; } = activity;

        public void Finish(Task task)
        {
            var (commands, commandDuration, commandsInFlight, classify) = instruments;
            var (outcome, errorType) = classify(task);
            var method = new KeyValuePair<string, object?>("rpc.method", tag);
            var outcomeTag = new KeyValuePair<string, object?>("qmp.outcome", outcome);
            var errorTag = new KeyValuePair<string, object?>("error.type", errorType);
            if (commandsInFlight.Enabled)
            {
                commandsInFlight.Add(-1, method);
            }

            if (commands.Enabled)
            {
                if (errorType is null)
                {
                    commands.Add(1, method, outcomeTag);
                }
                else
                {
                    commands.Add(1, method, outcomeTag, errorTag);
                }
            }

            if (commandDuration.Enabled)
            {
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (errorType is null)
                {
                    commandDuration.Record(seconds, method, outcomeTag);
                }
                else
                {
                    commandDuration.Record(seconds, method, outcomeTag, errorTag);
                }
            }

            if (Activity is { } a)
            {
                if (errorType is not null)
                {
                    a.SetTag("error.type", errorType);
                    a.SetStatus(ActivityStatusCode.Error, task.Exception?.InnerException?.Message ?? outcome);
                }

                a.Stop();
            }
        }
    }
}
