using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Qapi;

/// <summary>What every generated event record knows about itself, for <see cref="QapiEventExtensions.WaitForEventAsync{TEvent}(QmpClient, Func{TEvent, bool}?, CancellationToken)"/>.</summary>
/// <typeparam name="TSelf">The event record.</typeparam>
public interface IQapiEvent<TSelf>
    where TSelf : QapiEvent, IQapiEvent<TSelf>
{
    /// <summary>Gets the event's name on the wire, e.g. <c>SHUTDOWN</c>.</summary>
    static abstract string EventName { get; }

    /// <summary>Gets the event data's serialization metadata.</summary>
    static abstract JsonTypeInfo<TSelf> JsonTypeInfo { get; }
}
