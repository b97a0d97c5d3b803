using System.Text.Json;
using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Cli;

/// <summary>Sends parsed commands: in-band or out-of-band as the line asked.</summary>
internal static class RequestRunner
{
    /// <summary>Sends a command and returns its result.</summary>
    /// <param name="client">The connected client.</param>
    /// <param name="request">The command.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The result (an empty object for commands without data). A <c>quit</c> whose answer was lost because QEMU
    /// closed the socket first counts as answered with an empty object.</returns>
    /// <exception cref="QmpErrorException">QEMU answered with an error.</exception>
    /// <exception cref="QmpException">The connection broke.</exception>
    public static async Task<JsonElement> RunAsync(QmpClient client, QmpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return request.Oob
                ? await client.ExecuteOobAsync(request.Command, request.Arguments, cancellationToken).ConfigureAwait(false)
                : await client.ExecuteAsync(request.Command, request.Arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpException e) when (request.Command == "quit" && e is QmpConnectionClosedException or QmpCommunicationException)
        {
            // QEMU may close the socket before its answer to quit is read (QMP-NOTES: "the answer can be lost").
            using var empty = JsonDocument.Parse("{}");
            return empty.RootElement.Clone();
        }
    }
}
