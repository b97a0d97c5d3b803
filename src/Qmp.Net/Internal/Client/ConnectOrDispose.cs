namespace Qmp.Net.Internal;

/// <summary>The body of the static <c>ConnectAsync</c> factories and of <see cref="QmpListener.AcceptAsync(CancellationToken)"/>:
/// connect a new client, and dispose it when connecting fails.</summary>
internal static class ConnectOrDispose
{
    /// <summary>Creates a client and runs <paramref name="connect"/> on it; on any failure disposes it and rethrows. Creating
    /// it happens inside the returned task, so that invalid arguments fault the task, as from any async method.</summary>
    /// <typeparam name="TClient">The client type.</typeparam>
    /// <param name="create">Creates the client.</param>
    /// <param name="connect">Connects it.</param>
    /// <param name="cancellationToken">Passed to <paramref name="connect"/>.</param>
    /// <returns>The connected client.</returns>
    public static async Task<TClient> RunAsync<TClient>(Func<TClient> create, Func<TClient, CancellationToken, Task> connect, CancellationToken cancellationToken)
        where TClient : IAsyncDisposable
    {
        var client = create();
        try
        {
            await connect(client, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
