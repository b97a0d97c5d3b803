namespace Qmp.Net.Qapi.Serialization;

/// <summary>An open enum's wire form (empty for the default value).</summary>
internal interface IQapiEnum
{
    /// <summary>Gets the value as QEMU spells it.</summary>
    string Value { get; }
}

/// <summary>What every generated open enum offers its converter.</summary>
/// <typeparam name="TSelf">The enum struct.</typeparam>
internal interface IQapiEnum<TSelf> : IQapiEnum
    where TSelf : struct, IQapiEnum<TSelf>
{

    /// <summary>Makes a value from its wire form, known or not.</summary>
    /// <param name="value">The wire form.</param>
    /// <returns>The value.</returns>
    static abstract TSelf FromValue(string value);
}
