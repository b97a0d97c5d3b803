using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Internal;

internal static class QmpJson
{
    /// <summary>An empty JSON object, for events without data. Its document is never disposed, so it may be shared.</summary>
    public static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    public static readonly JsonSerializerOptions DefaultOptions = CreateDefaultOptions();

    private static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            MaxDepth = MessageReader.MaxDepth,
            TypeInfoResolver = JsonSerializer.IsReflectionEnabledByDefault ? CreateReflectionResolver() : new EmptyResolver(),
        };
        if (JsonSerializer.IsReflectionEnabledByDefault)
        {
            AddEnumConverter(options);
        }

        options.MakeReadOnly();
        return options;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only reached when the application allows reflection-based serialization (JsonSerializer.IsReflectionEnabledByDefault), which trimmed and native AOT applications turn off.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above: guarded by the JsonSerializer.IsReflectionEnabledByDefault feature switch.")]
    private static IJsonTypeInfoResolver CreateReflectionResolver() => new DefaultJsonTypeInfoResolver();

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Guarded by the JsonSerializer.IsReflectionEnabledByDefault feature switch.")]
    private static void AddEnumConverter(JsonSerializerOptions options) =>
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));

    /// <summary>A resolver that knows no type, used when reflection is off: the error then names the missing metadata.</summary>
    private sealed class EmptyResolver : IJsonTypeInfoResolver
    {
        public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options) => null;
    }
}
