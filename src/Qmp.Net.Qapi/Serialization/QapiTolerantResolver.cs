using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Qapi.Serialization;

/// <summary>Wraps a source-generated context so that reading never insists on a member: the generated records mark the
/// mandatory members of the types a user sends <c>required</c> (a compile-time check), and System.Text.Json would turn
/// that into a read-time check too. A reply or event from a QEMU version that lacks such a member must still decode
/// (docs/qapi.md, "Mapping rules"), so every property's <see cref="JsonPropertyInfo.IsRequired"/> is cleared here. No
/// reflection: the metadata still comes from the generated context.</summary>
internal sealed class QapiTolerantResolver(IJsonTypeInfoResolver inner) : IJsonTypeInfoResolver
{
    /// <summary>Options over <paramref name="context"/> whose metadata reads every member as optional.</summary>
    /// <param name="context">The generated context.</param>
    /// <returns>Read-only options.</returns>
    public static JsonSerializerOptions Options(JsonSerializerContext context)
    {
        var options = new JsonSerializerOptions(context.Options) { TypeInfoResolver = new QapiTolerantResolver(context) };
        options.MakeReadOnly();
        return options;
    }

    /// <inheritdoc/>
    public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options)
    {
        var info = inner.GetTypeInfo(type, options);
        if (info is { Kind: JsonTypeInfoKind.Object })
        {
            foreach (var property in info.Properties)
            {
                property.IsRequired = false;
            }
        }

        return info;
    }
}
