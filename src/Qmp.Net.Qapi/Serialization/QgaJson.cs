using System.Text.Json;
using Qmp.Net.Qapi.Qga;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>The helpers the generated guest agent converters call (<see cref="QapiJsonHelpers{TMetadata}"/>), with the
/// metadata of <see cref="QgaJsonContext"/> (the guest agent's types have a context of their own).</summary>
internal sealed class QgaJson : QapiJsonHelpers<QgaJson.Metadata>
{
    private QgaJson()
    {
    }

    /// <summary>The guest agent family's options.</summary>
    internal readonly struct Metadata : IQapiMetadata
    {
        private static readonly JsonSerializerOptions s_options = QapiTolerantResolver.Options(QgaJsonContext.Default);

        public static JsonSerializerOptions Options => s_options;
    }
}
