using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Internal;

/// <summary>The argument checks of the typed execute overloads, shared by the QMP and guest agent clients (the parameter
/// names are those of the public overloads).</summary>
internal static class ExecuteChecks
{
    /// <summary>Throws unless there is a command name and the result's metadata.</summary>
    public static void Typed(string command, JsonTypeInfo resultTypeInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(command, nameof(command));
        ArgumentNullException.ThrowIfNull(resultTypeInfo, nameof(resultTypeInfo));
    }

    /// <summary>Throws unless there is a command name and the arguments' and the result's metadata.</summary>
    public static void Typed(string command, JsonTypeInfo argumentsTypeInfo, JsonTypeInfo resultTypeInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(command, nameof(command));
        ArgumentNullException.ThrowIfNull(argumentsTypeInfo, nameof(argumentsTypeInfo));
        ArgumentNullException.ThrowIfNull(resultTypeInfo, nameof(resultTypeInfo));
    }
}
