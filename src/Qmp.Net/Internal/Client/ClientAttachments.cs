using Qmp.Net.Introspection;

namespace Qmp.Net.Internal.Client;

/// <summary>What layers above the client keep per connection: the schema read once (<c>GetSchemaAsync</c>) and the
/// typed layer's state (Qmp.Net.Qapi's schema check). Owned by the <see cref="QmpClient"/> it belongs to, so it lives and
/// dies with that client, instead of in process-wide weak tables keyed by the client.</summary>
internal sealed class ClientAttachments
{
    private readonly object _sync = new();
    private Task<QmpSchema>? _schema;
    private object? _typed;

    /// <summary>Returns the schema query kept for this client, starting <paramref name="start"/> when there is none or
    /// the kept one failed or was cancelled (a failure is not kept: the next call asks again).</summary>
    public Task<QmpSchema> GetOrStartSchema(Func<Task<QmpSchema>> start)
    {
        lock (_sync)
        {
            if (_schema is null || _schema.IsFaulted || _schema.IsCanceled)
            {
                _schema = start();
            }

            return _schema;
        }
    }

    /// <summary>The typed layer's state for this client, created by <paramref name="create"/> on first use.</summary>
    public T GetOrCreateTyped<T>(Func<T> create)
        where T : class
    {
        lock (_sync)
        {
            if (_typed is not T state)
            {
                state = create();
                _typed = state;
            }

            return state;
        }
    }

    /// <summary>Replaces the typed layer's state (a new configuration).</summary>
    public void SetTyped(object state)
    {
        lock (_sync)
        {
            _typed = state;
        }
    }

    /// <summary>The typed layer's state, or null when it was never created.</summary>
    public T? TypedOrNull<T>()
        where T : class
    {
        lock (_sync)
        {
            return _typed as T;
        }
    }
}
