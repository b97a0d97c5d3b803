using Qmp.Net.Internal;

namespace Qmp.Net.Fuzz.Targets;

/// <summary>The whole asynchronous client over an in-memory transport: read loop, continuations and the thread pool. It
/// is not deterministic (AFL++ measured 0.88 % stability when it was fuzzed), so it is not a coverage-guided target: it
/// replays every committed input as a regression check (<c>--replay</c>, and the unit tests).</summary>
internal static class ClientTarget
{
    private static readonly TimeSpan s_hangLimit = TimeSpan.FromSeconds(3);

    /// <summary>A whole client: greeting, negotiation, in-band and out-of-band commands and events, against the input as the
    /// server's side of the conversation. Every task must end, with a result or a <see cref="QmpException"/>.</summary>
    /// <param name="input">The bytes a server sends.</param>
    public static void Run(byte[] input)
    {
        var fuzz = new FuzzInput(input, 0);
        var flags = fuzz.Config;
        var data = fuzz.Data.ToArray();
        var options = QmpClientOptions.Default with
        {
            SendCommandIds = (flags & 1) != 0,
            EnableOob = (flags & 2) == 0,
            MaxMessageBytes = 64 * 1024,
            EventBufferCapacity = 4,
            TransactionTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = Timeout.InfiniteTimeSpan,
        };
        QmpClient? client = null;
        var transport = new MemoryTransport(data, (flags >> 2) + 1, () => client!.Greeting is not null);
        client = new QmpClient(QmpEndpoint.Unix("/fuzz"), options, (_, _) => ValueTask.FromResult<IQmpTransport>(transport));
        var events = client.SubscribeEvents();
        var tasks = new List<Task>();
        var connect = client.ConnectAsync();
        tasks.Add(connect);
        if (Wait(connect) && connect.IsCompletedSuccessfully)
        {
            tasks.Add(client.ExecuteAsync("query-status"));
            tasks.Add(client.ExecuteAsync("stop", new { force = true }));
            if (client.NegotiatedCapabilities.Contains("oob"))
            {
                tasks.Add(client.ExecuteOobAsync("query-yank"));
            }

            tasks.Add(client.ExecuteAsync("cont"));
        }

        tasks.Add(client.Completion);
        tasks.Add(Drain(events));
        foreach (var task in tasks)
        {
            if (!Wait(task))
            {
                throw new FuzzFindingException("A task the client handed out did not end: " + task);
            }

            if (task.Exception is { } error)
            {
                foreach (var inner in error.InnerExceptions)
                {
                    if (inner is not QmpException)
                    {
                        throw new FuzzFindingException("The client failed with an undocumented exception.", inner);
                    }
                }
            }
        }

        client.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static bool Wait(Task task)
    {
        try
        {
            return task.Wait(s_hangLimit);
        }
        catch (AggregateException)
        {
            return true;
        }
    }

    private static async Task Drain(QmpEventSubscription events)
    {
        await foreach (var e in events)
        {
            _ = e.Data.ValueKind;
        }
    }
}
