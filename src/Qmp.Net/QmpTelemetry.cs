namespace Qmp.Net;

/// <summary>The names under which Qmp.Net publishes its metrics (<see cref="System.Diagnostics.Metrics.Meter"/>) and
/// traces (<see cref="System.Diagnostics.ActivitySource"/>); subscribe with OpenTelemetry's <c>AddMeter</c> and
/// <c>AddSource</c>, or with a <see cref="System.Diagnostics.Metrics.MeterListener"/> and an
/// <see cref="System.Diagnostics.ActivityListener"/>. docs/observability.md lists every instrument.</summary>
public static class QmpTelemetry
{
    /// <summary>The name of the meter and of the activity source: <c>Qmp.Net</c>.</summary>
    public const string Name = "Qmp.Net";
}
