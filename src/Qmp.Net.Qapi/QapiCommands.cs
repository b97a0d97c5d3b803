using System.Text.Json;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi;

/// <summary>The typed QMP commands of one client: one method per command of QEMU 7.2 and 10.0, reached through
/// <c>client.Commands</c>. Before a command is sent, it is checked against the connected QEMU's schema
/// (<see cref="QapiCheckOptions"/>).</summary>
/// <remarks>A cheap value: it holds only the client. Every method is thread-safe as <see cref="QmpClient"/> is.</remarks>
public readonly partial struct QapiCommands
{
    /// <summary>Initializes a new instance of the <see cref="QapiCommands"/> struct.</summary>
    /// <param name="client">The client the commands run on.</param>
    public QapiCommands(QmpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
    }

    /// <summary>Gets the client the commands run on.</summary>
    public QmpClient Client { get; }

    private Task<TResult> ExecuteAsync<TArguments, TResult>(string command, TArguments? arguments, bool outOfBand, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(Client);
        JsonElement? json = arguments is null ? null : JsonSerializer.SerializeToElement(arguments, QapiJson.Info<TArguments>());
        var check = QapiSchemaCheck.CheckAsync(Client, command, json, cancellationToken);

        // The usual case (schema read, check passed) completes synchronously: no extra state machine on the hot path.
        return check.IsCompletedSuccessfully ? Send<TResult>(command, json, outOfBand, cancellationToken) : CheckThenSendAsync<TResult>(check, command, json, outOfBand, cancellationToken);
    }

    private async Task<TResult> CheckThenSendAsync<TResult>(Task check, string command, JsonElement? json, bool outOfBand, CancellationToken cancellationToken)
    {
        await check.ConfigureAwait(false);
        return await Send<TResult>(command, json, outOfBand, cancellationToken).ConfigureAwait(false);
    }

    private Task<TResult> Send<TResult>(string command, JsonElement? json, bool outOfBand, CancellationToken cancellationToken) => outOfBand
        ? Client.ExecuteOobAsync(command, json, QapiJson.Info<TResult>(), cancellationToken)
        : Client.ExecuteAsync(command, json, QapiJson.Info<TResult>(), cancellationToken);

    private Task<TResult> ExecuteAsync<TResult>(string command, bool outOfBand, CancellationToken cancellationToken) =>
        ExecuteAsync<JsonElement?, TResult>(command, null, outOfBand, cancellationToken);

    private Task ExecuteVoidAsync<TArguments>(string command, TArguments? arguments, bool outOfBand, CancellationToken cancellationToken) =>
        ExecuteAsync<TArguments, JsonElement>(command, arguments, outOfBand, cancellationToken);

    private Task ExecuteVoidAsync(string command, bool outOfBand, CancellationToken cancellationToken) =>
        ExecuteAsync<JsonElement?, JsonElement>(command, null, outOfBand, cancellationToken);
}
