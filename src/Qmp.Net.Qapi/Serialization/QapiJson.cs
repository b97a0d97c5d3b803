using System.Text.Json;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>The helpers the generated QMP converters call (<see cref="QapiJsonHelpers{TMetadata}"/>); all metadata comes
/// from <see cref="QapiJsonContext"/>.</summary>
internal sealed class QapiJson : QapiJsonHelpers<QapiJson.Metadata>
{
    private QapiJson()
    {
    }

    public static T ReadEvent<T>(JsonElement data)
        where T : QapiEvent => data.Deserialize(Info<T>()) ?? throw new JsonException("The event's data is null.");

    /// <summary>The QMP family's options.</summary>
    internal readonly struct Metadata : IQapiMetadata
    {
        private static readonly JsonSerializerOptions s_options = QapiTolerantResolver.Options(QapiJsonContext.Default);

        public static JsonSerializerOptions Options => s_options;
    }
}
