using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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

    // Each generated method passes its own type's writer and its result's reader (emitted by the generator), so
    // native AOT keeps only the types a program calls (docs/qapi.md, "How a type is read and written").
    private Task<TResult> ExecuteAsync<TArguments, TResult>(string command, TArguments? arguments, Action<Utf8JsonWriter, TArguments> write, Func<JsonElement, TResult> read, bool outOfBand, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(Client);
        JsonElement? json = arguments is null ? null : QapiJson.ToElement(arguments, write);
        var check = QapiSchemaCheck.CheckAsync(Client, command, json, cancellationToken);
        var info = QapiJson.ResultInfo(read);

        // The usual case (schema read, check passed) completes synchronously: no extra state machine on the hot path.
        return check.IsCompletedSuccessfully ? Send(command, json, info, outOfBand, cancellationToken) : CheckThenSendAsync(check, command, json, info, outOfBand, cancellationToken);
    }

    private async Task<TResult> CheckThenSendAsync<TResult>(Task check, string command, JsonElement? json, JsonTypeInfo<TResult> info, bool outOfBand, CancellationToken cancellationToken)
    {
        await check.ConfigureAwait(false);
        return await Send(command, json, info, outOfBand, cancellationToken).ConfigureAwait(false);
    }

    private Task<TResult> Send<TResult>(string command, JsonElement? json, JsonTypeInfo<TResult> info, bool outOfBand, CancellationToken cancellationToken) => outOfBand
        ? Client.ExecuteOobAsync(command, json, info, cancellationToken)
        : Client.ExecuteAsync(command, json, info, cancellationToken);

    private Task<TResult> ExecuteAsync<TResult>(string command, Func<JsonElement, TResult> read, bool outOfBand, CancellationToken cancellationToken) =>
        ExecuteAsync<JsonElement?, TResult>(command, null, static (_, _) => { }, read, outOfBand, cancellationToken);

    private Task ExecuteVoidAsync<TArguments>(string command, TArguments? arguments, Action<Utf8JsonWriter, TArguments> write, bool outOfBand, CancellationToken cancellationToken) =>
        ExecuteAsync(command, arguments, write, QapiJson.ReadAny, outOfBand, cancellationToken);

    private Task ExecuteVoidAsync(string command, bool outOfBand, CancellationToken cancellationToken) =>
        ExecuteAsync<JsonElement?, JsonElement>(command, null, static (_, _) => { }, QapiJson.ReadAny, outOfBand, cancellationToken);
}
