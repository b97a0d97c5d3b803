using System.Text.Json;

namespace Qmp.Net.Qapi;

/// <summary>The check of a typed command against the connected QEMU's schema (filled in once QmpSchema lands).</summary>
internal static class QapiSchemaCheck
{
    public static Task CheckAsync(QmpClient client, string command, JsonElement? arguments, CancellationToken cancellationToken)
    {
        _ = client;
        _ = command;
        _ = arguments;
        _ = cancellationToken;
        return Task.CompletedTask;
    }
}
