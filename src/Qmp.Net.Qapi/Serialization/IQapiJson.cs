using System.Text.Json;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>A generated type that reads and writes itself: the generator emits both methods for every record, union,
/// alternate, enum and event (docs/qapi.md, "How a type is read and written"), and they call the emitted methods of
/// their members' types directly, so native AOT keeps only the types a program reaches.</summary>
/// <typeparam name="TSelf">The generated type.</typeparam>
internal interface IQapiJson<TSelf>
    where TSelf : IQapiJson<TSelf>
{
    /// <summary>Reads a value, tolerantly: unknown members are ignored, a missing one is left at its default.</summary>
    /// <param name="element">The JSON value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The JSON is not of the kind the type is (an object for a record, ...).</exception>
    static abstract TSelf ReadJson(JsonElement element);

    /// <summary>Writes a value; optional members that are <see langword="null"/> are left out.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    static abstract void WriteJson(Utf8JsonWriter writer, TSelf value);

    /// <summary>Gets a value indicating whether JSON <c>null</c> is a value of the type (an alternate with a null
    /// branch) rather than an absent one.</summary>
    static virtual bool ReadsNull => false;
}
