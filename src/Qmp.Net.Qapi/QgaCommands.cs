using System.Text.Json;
using Qmp.Net.Qapi.Serialization;
using Qmp.Net.Qga;

namespace Qmp.Net.Qapi.Qga;

/// <summary>The typed guest agent commands of one <see cref="QgaClient"/>: one method per command of the agents of
/// QEMU 7.2 and 10.0, reached through <c>agent.Commands</c> (e.g. <c>agent.Commands.GuestGetOsinfoAsync()</c>).</summary>
/// <remarks><para>A cheap value: it holds only the client, and every method is thread-safe as <see cref="QgaClient"/>
/// is. The agent has no introspection, so nothing is checked before sending: a command the agent lacks, or has
/// disabled (<c>qemu-ga -b</c>), fails with <see cref="QmpErrorException"/> <c>CommandNotFound</c>; <c>guest-info</c>
/// (<see cref="GuestInfoAsync"/>) lists what it supports.</para>
/// <para>Commands the agent does not answer on success (<c>guest-shutdown</c>, <c>guest-suspend-*</c>) go through
/// <see cref="QgaClient.FireAsync(string, object?, CancellationToken)"/> and complete once written.</para></remarks>
public readonly partial struct QgaCommands
{
    /// <summary>Initializes a new instance of the <see cref="QgaCommands"/> struct.</summary>
    /// <param name="client">The client the commands run on.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    public QgaCommands(QgaClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
    }

    /// <summary>Gets the client the commands run on.</summary>
    public QgaClient Client { get; }

    private QgaClient Agent => Client ?? throw new InvalidOperationException("This QgaCommands has no client (a default value).");

    // Each generated method passes its own type's writer and its result's reader (emitted by the generator).
    private Task<TResult> ExecuteAsync<TArguments, TResult>(string command, TArguments? arguments, Action<Utf8JsonWriter, TArguments> write, Func<JsonElement, TResult> read, CancellationToken cancellationToken) =>
        arguments is null
            ? Agent.ExecuteAsync(command, null, QapiJson.ResultInfo(read), cancellationToken)
            : Agent.ExecuteAsync(command, (object)QapiJson.ToElement(arguments, write), QapiJson.ResultInfo(read), cancellationToken);

    private Task<TResult> ExecuteAsync<TResult>(string command, Func<JsonElement, TResult> read, CancellationToken cancellationToken) =>
        Agent.ExecuteAsync(command, null, QapiJson.ResultInfo(read), cancellationToken);

    private Task ExecuteVoidAsync<TArguments>(string command, TArguments? arguments, Action<Utf8JsonWriter, TArguments> write, CancellationToken cancellationToken) =>
        ExecuteAsync(command, arguments, write, QapiJson.ReadAny, cancellationToken);

    private Task ExecuteVoidAsync(string command, CancellationToken cancellationToken) =>
        ExecuteAsync(command, QapiJson.ReadAny, cancellationToken);

    // The arguments are written by the generated code (native AOT safe); the client writes a JsonElement as it is.
    private Task FireAsync<TArguments>(string command, TArguments? arguments, Action<Utf8JsonWriter, TArguments> write, CancellationToken cancellationToken) =>
        Agent.FireAsync(command, arguments is null ? null : QapiJson.ToElement(arguments, write), cancellationToken);

    private Task FireAsync(string command, CancellationToken cancellationToken) =>
        Agent.FireAsync(command, null, cancellationToken);
}
