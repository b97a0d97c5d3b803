using System.Text.Json;

namespace Qmp.Net.Fleet;

/// <summary>One VM's outcome of a <see cref="QmpFleet.FanOutAsync(string, object?, IEnumerable{string}?, CancellationToken)"/>.</summary>
public sealed class QmpFleetResult
{
    internal QmpFleetResult(string name, JsonElement result, Exception? error)
    {
        Name = name;
        Result = result;
        Error = error;
    }

    /// <summary>Gets the VM's name.</summary>
    public string Name { get; }

    /// <summary>Gets the command's return value (<c>default</c> when it failed).</summary>
    public JsonElement Result { get; }

    /// <summary>Gets why the command failed for this VM, or <see langword="null"/> when it succeeded.</summary>
    public Exception? Error { get; }

    /// <summary>Gets a value indicating whether the command succeeded for this VM.</summary>
    public bool Succeeded => Error is null;
}
