using System.Diagnostics;
using System.Diagnostics.Metrics;
using Qmp.Net.Internal;

namespace Qmp.Net.Jobs;

/// <summary>The activities and instruments of the workflow helpers (jobs and migrations), on the library's own
/// <see cref="QmpTelemetry.Name"/> source and meter (docs/observability.md).</summary>
internal static class WorkflowTelemetry
{
    public static readonly Counter<long> Jobs = Telemetry.Meter.CreateCounter<long>(
        "qmp.client.jobs", unit: "{job}", description: "QEMU jobs that ended while a QmpJobManager watched them, by type and outcome.");

    public static readonly Histogram<double> JobDuration = Telemetry.Meter.CreateHistogram<double>(
        "qmp.client.job.duration", unit: "s", description: "Time from a job's start (or attachment) to its end, by type and outcome.");

    public static readonly Counter<long> Migrations = Telemetry.Meter.CreateCounter<long>(
        "qmp.client.migrations", unit: "{migration}", description: "Migrations that ended while a QmpMigration watched them, by direction and outcome.");

    public static readonly Histogram<double> MigrationDuration = Telemetry.Meter.CreateHistogram<double>(
        "qmp.client.migration.duration", unit: "s", description: "Time from a migration's start to its end, by direction and outcome.");

    /// <summary>Starts an activity that lives as long as a job or migration, without leaving it current on the caller's thread.</summary>
    public static Activity? StartLongActivity(string name)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Telemetry.Source.StartActivity(name, ActivityKind.Internal);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends a long activity with its outcome tag (<c>success</c>, <c>failed</c>, <c>cancelled</c>, <c>connection-lost</c>, <c>abandoned</c>).</summary>
    public static void Finish(Activity? activity, string outcome, string? error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("qmp.outcome", outcome);
        if (outcome != "success")
        {
            activity.SetStatus(ActivityStatusCode.Error, error ?? outcome);
        }

        activity.Stop();
    }
}
