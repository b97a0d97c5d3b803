using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi.Tests.Support;

/// <summary>System.Text.Json metadata for a type known only at run time (a catalog's result or argument type), over the
/// generated readers and writers: the library itself has no table of all types (that is what keeps native-AOT binaries
/// small), so the tests find a type's <see cref="IQapiJson{TSelf}"/> methods by reflection. Built-in types (and lists
/// of them) use System.Text.Json's own metadata, which reads and writes them the same way.</summary>
internal static class QapiTypeInfo
{
    private static readonly JsonSerializerOptions s_options = new() { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    public static JsonTypeInfo For(Type type)
    {
        if (IsGenerated(type))
        {
            return (JsonTypeInfo)typeof(QapiJson).GetMethod(nameof(QapiJson.Info))!.MakeGenericMethod(type).Invoke(null, null)!;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) && IsGenerated(type.GetGenericArguments()[0]))
        {
            return (JsonTypeInfo)typeof(QapiTypeInfo).GetMethod(nameof(ListInfo), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(type.GetGenericArguments()[0]).Invoke(null, null)!;
        }

        return s_options.GetTypeInfo(type);
    }

    private static bool IsGenerated(Type type) => type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IQapiJson<>) && i.GetGenericArguments()[0] == type);

    private static JsonTypeInfo<IReadOnlyList<T>> ListInfo<T>()
        where T : IQapiJson<T> =>
        JsonMetadataServices.CreateValueInfo<IReadOnlyList<T>>(
            s_options,
            new QapiDelegateConverter<IReadOnlyList<T>>(e => QapiJson.ReadList(e, QapiJson.Read<T>), (w, v) => QapiJson.WriteList(w, v, QapiJson.Write<T>)));
}
