using System.Text;
using System.Text.Json;

namespace Qmp.Net.Testing;

/// <summary>A command a <see cref="QmpTestServer"/> received, as the client sent it.</summary>
public sealed class ReceivedCommand
{
    internal ReceivedCommand(int index, int connection, string name, JsonElement arguments, JsonElement? id, byte[] raw, bool isOob)
    {
        Index = index;
        Connection = connection;
        Name = name;
        Arguments = arguments;
        Id = id;
        Raw = raw;
        IsOob = isOob;
    }

    /// <summary>Gets the command's position in the server's log (<see cref="QmpTestServer.Commands"/>), from 0.</summary>
    public int Index { get; }

    /// <summary>Gets the number of the connection it came on, counting from 1.</summary>
    public int Connection { get; }

    /// <summary>Gets the command name (the value of <c>execute</c> or <c>exec-oob</c>).</summary>
    public string Name { get; }

    /// <summary>Gets the arguments; an empty object when the command had none.</summary>
    public JsonElement Arguments { get; }

    /// <summary>Gets the <c>id</c> as sent (any JSON value), or <see langword="null"/> when the command had none.</summary>
    public JsonElement? Id { get; }

    /// <summary>Gets the exact bytes of the command, from its opening to its closing brace.</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>Gets <see cref="Raw"/> decoded as UTF-8.</summary>
    public string RawText => Encoding.UTF8.GetString(Raw.Span);

    /// <summary>Gets a value indicating whether the command was sent out of band (<c>exec-oob</c>).</summary>
    public bool IsOob { get; }

    /// <inheritdoc />
    public override string ToString() => $"#{Index} {RawText}";
}
