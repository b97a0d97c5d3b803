namespace Qmp.Net.Introspection;

/// <summary>The connected server's schema, read once per <see cref="QmpClient"/>.</summary>
public static class QmpSchemaClientExtensions
{
    /// <summary>Returns the schema of the server the client is connected to: the first call runs <c>query-qmp-schema</c>,
    /// later calls on the same client get the same schema (a client is one connection, so one server).</summary>
    /// <param name="client">A connected client.</param>
    /// <param name="cancellationToken">Cancels this caller's wait; the query itself goes on for the other callers.</param>
    /// <returns>The server's schema.</returns>
    /// <remarks>A query that failed (the connection broke, the command was refused) is not kept: the next call asks again.
    /// The schema is kept by the client itself, so it goes with the client.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    /// <exception cref="QmpException">The query failed or the connection ended.</exception>
    /// <exception cref="FormatException">The reply is not a schema.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<QmpSchema> GetSchemaAsync(this QmpClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);

        // No caller's token: one caller giving up must not cancel the query the others share.
        var query = client.Attachments.GetOrStartSchema(() =>
        {
            var started = QmpSchema.QueryAsync(client, CancellationToken.None);

            // A caller that stopped waiting never observes a later failure; it must not surface as unobserved.
            _ = started.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return started;
        });

        return cancellationToken.CanBeCanceled ? query.WaitAsync(cancellationToken) : query;
    }
}
