namespace Qmp.Net.Qapi.Serialization;

/// <summary>What every generated open enum offers its converter.</summary>
/// <typeparam name="TSelf">The enum struct.</typeparam>
internal interface IQapiEnum<TSelf>
    where TSelf : struct, IQapiEnum<TSelf>
{
    /// <summary>Gets the value as QEMU spells it.</summary>
    string Value { get; }

    /// <summary>Makes a value from its wire form, known or not.</summary>
    /// <param name="value">The wire form.</param>
    /// <returns>The value.</returns>
    static abstract TSelf FromValue(string value);
}
