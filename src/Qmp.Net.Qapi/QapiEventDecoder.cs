using System.Text.Json;

namespace Qmp.Net.Qapi;

/// <summary>Decodes an untyped event into its generated record (the switch is generated).</summary>
internal static partial class QapiEventDecoder
{
    /// <summary>Decodes an event; never throws.</summary>
    public static QapiEvent Decode(QmpEvent e)
    {
        QapiEvent? typed;
        try
        {
            typed = DecodeKnown(e);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or FormatException or OverflowException)
        {
            return new UnknownQapiEvent { Event = e, DecodeError = ex };
        }

        typed ??= new UnknownQapiEvent();
        typed.Event = e;
        return typed;
    }
}
