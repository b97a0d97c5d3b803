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

    private Task<TResult> ExecuteAsync<TArguments, TResult>(string command, TArguments? arguments, CancellationToken cancellationToken) =>
        arguments is null
            ? Agent.ExecuteAsync(command, null, QgaJson.Info<TResult>(), cancellationToken)
            : Agent.ExecuteAsync(command, arguments, QgaJson.Info<TArguments>(), QgaJson.Info<TResult>(), cancellationToken);

    private Task<TResult> ExecuteAsync<TResult>(string command, CancellationToken cancellationToken) =>
        Agent.ExecuteAsync(command, null, QgaJson.Info<TResult>(), cancellationToken);

    private Task ExecuteVoidAsync<TArguments>(string command, TArguments? arguments, CancellationToken cancellationToken) =>
        ExecuteAsync<TArguments, JsonElement>(command, arguments, cancellationToken);

    private Task ExecuteVoidAsync(string command, CancellationToken cancellationToken) =>
        ExecuteAsync<JsonElement>(command, cancellationToken);

    // The arguments are serialized here with the generated metadata (native AOT safe); the client writes a JsonElement as it is.
    private Task FireAsync<TArguments>(string command, TArguments? arguments, CancellationToken cancellationToken) =>
        Agent.FireAsync(command, arguments is null ? null : JsonSerializer.SerializeToElement(arguments, QgaJson.Info<TArguments>()), cancellationToken);

    private Task FireAsync(string command, CancellationToken cancellationToken) =>
        Agent.FireAsync(command, null, cancellationToken);
}
