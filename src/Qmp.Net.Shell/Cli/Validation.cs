using Qmp.Net.Introspection;

namespace Qmp.Net.Shell.Cli;

/// <summary>Builds the validator for a connection from the connected QEMU's schema.</summary>
internal static class Validation
{
    /// <summary>Reads the schema (once per connection) and makes a checker of it.</summary>
    /// <param name="client">The connected client.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The checker, or <see langword="null"/> when the server has no schema to offer (e.g. it refuses
    /// <c>query-qmp-schema</c>): then commands go out unchecked.</returns>
    public static async Task<IRequestValidator?> CreateAsync(QmpClient client, CancellationToken cancellationToken)
    {
        try
        {
            return new SchemaChecker(await client.GetSchemaAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is QmpErrorException or FormatException)
        {
            return null;
        }
    }
}
