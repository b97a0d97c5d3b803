using System.Diagnostics;
using System.Diagnostics.Metrics;
using Qmp.Net.Internal;

namespace Qmp.Net.Qga;

/// <summary>The guest agent client's instruments, on Qmp.Net's meter and activity source (<see cref="QmpTelemetry.Name"/>):
/// the QMP client's command instruments under <c>qga.client.*</c>, with the same tag names, plus the resynchronisations
/// and the messages they discarded. Nothing is measured or started unless a listener is attached.</summary>
internal static class QgaTelemetry
{
    public static readonly Counter<long> Commands = Telemetry.Meter.CreateCounter<long>(
        "qga.client.commands", "{command}", "Guest agent commands that finished, by command (rpc.method) and outcome (qmp.outcome, error.type).");

#if NET9_0_OR_GREATER
    public static readonly Histogram<double> CommandDuration = Telemetry.Meter.CreateHistogram(
        "qga.client.command.duration",
        "s",
        "Time from a guest agent command's call to its answer (or failure), resynchronisation included, by command and outcome.",
        tags: null,
        // The agent answers in about 0.1-1 ms on the host; a guest that is busy or has no agent takes up to CommandTimeout.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
#else
    public static readonly Histogram<double> CommandDuration = Telemetry.Meter.CreateHistogram<double>(
        "qga.client.command.duration", "s", "Time from a guest agent command's call to its answer (or failure), resynchronisation included, by command and outcome.");
#endif

    public static readonly UpDownCounter<long> CommandsInFlight = Telemetry.Meter.CreateUpDownCounter<long>(
        "qga.client.commands.in_flight", "{command}", "Guest agent commands called and not yet finished (waiting for their turn included), by command.");

    public static readonly Counter<long> Syncs = Telemetry.Meter.CreateCounter<long>(
        "qga.client.syncs", "{sync}", "Resynchronisations with the guest agent (guest-sync-delimited), by reason (qga.sync.reason) and outcome (qmp.outcome, error.type).");

    public static readonly Counter<long> MessagesDiscarded = Telemetry.Meter.CreateCounter<long>(
        "qga.client.messages.discarded", "{message}", "Messages from the guest agent that answered nothing pending (late replies, id-less errors), discarded.");

    private static readonly Telemetry.CommandInstruments s_agentCommands = new(
        Commands,
        CommandDuration,
        CommandsInFlight,
        task => task.IsCanceled ? ("cancelled", typeof(OperationCanceledException).FullName) : Classify(task.Exception?.InnerException));

    /// <summary>Gets a value indicating whether anything listens to commands: then <see cref="StartCommand"/> is worth calling.</summary>
    public static bool CommandsObserved => Commands.Enabled || CommandDuration.Enabled || CommandsInFlight.Enabled || Telemetry.Source.HasListeners();

    /// <summary>Starts measuring and tracing one command; call <see cref="Telemetry.CommandTracker.Finish(Task)"/> when it ends.</summary>
    public static Telemetry.CommandTracker StartCommand(string command, QmpEndpoint endpoint, bool fire)
    {
        var tag = Telemetry.NameTag(command);
        var activity = Telemetry.StartClientActivity(tag, endpoint, "qga", "qga.fire", fire);
        if (CommandsInFlight.Enabled)
        {
            CommandsInFlight.Add(1, new KeyValuePair<string, object?>("rpc.method", tag));
        }

        return new Telemetry.CommandTracker(tag, activity, Stopwatch.GetTimestamp(), s_agentCommands);
    }

    /// <summary>Counts one resynchronisation, and adds it to the activity of the command it preceded (when traced) as
    /// an <see cref="ActivityEvent"/> <c>qga.sync</c>.</summary>
    public static void Synced(string reason, Exception? failure, int discarded, Activity? activity)
    {
        var (outcome, errorType) = Classify(failure);
        if (Syncs.Enabled)
        {
            var reasonTag = new KeyValuePair<string, object?>("qga.sync.reason", reason);
            var outcomeTag = new KeyValuePair<string, object?>("qmp.outcome", outcome);
            if (errorType is null)
            {
                Syncs.Add(1, reasonTag, outcomeTag);
            }
            else
            {
                Syncs.Add(1, reasonTag, outcomeTag, new KeyValuePair<string, object?>("error.type", errorType));
            }
        }

        Discarded(discarded);
        activity?.AddEvent(new ActivityEvent("qga.sync", tags: new ActivityTagsCollection
        {
            ["qga.sync.reason"] = reason,
            ["qmp.outcome"] = outcome,
            ["qga.sync.discarded"] = discarded,
        }));
    }

    public static void Discarded(int count)
    {
        if (count > 0 && MessagesDiscarded.Enabled)
        {
            MessagesDiscarded.Add(count);
        }
    }

    /// <summary>The outcome tags of a finished command or sync, as the QMP client's: <c>success</c>; <c>error</c> (the
    /// agent's error class as <c>error.type</c>, or the exception type); <c>timeout</c> (<c>error.type</c> =
    /// <c>CommandTimeout</c>); <c>connection_error</c> (the exception type); <c>cancelled</c>.</summary>
    public static (string Outcome, string? ErrorType) Classify(Exception? failure) => failure switch
    {
        null => ("success", null),
        QmpErrorException e => ("error", e.ErrorClass),
        QgaTimeoutException => ("timeout", "CommandTimeout"),
        QmpException e => ("connection_error", e.GetType().FullName),
        OperationCanceledException => ("cancelled", typeof(OperationCanceledException).FullName),
        _ => ("error", failure.GetType().FullName),
    };

}
