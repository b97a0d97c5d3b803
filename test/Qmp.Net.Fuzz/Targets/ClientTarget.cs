using System.Text.Json;
using Qmp.Net.Internal;

namespace Qmp.Net.Fuzz;

/// <summary>What the fuzzer runs for each input. An input may make the library throw a <see cref="QmpException"/> (that is
/// the documented answer to bad input); any other exception, or a task left unfinished, is a finding.</summary>
public static class FuzzTargets
{
    private static readonly TimeSpan s_hangLimit = TimeSpan.FromSeconds(3);

    /// <summary>Runs both targets on one input.</summary>
    /// <param name="input">The bytes a server sends.</param>
    public static void Run(byte[] input)
    {
        ReadMessages(input);
        DriveEngine(input);
        DriveClient(input);
    }

    /// <summary>The protocol engine alone, driven from this one thread with no sockets, timers or thread pool: commands
    /// submitted and written, the input fed in chunks, then the engine closed. Every task must have ended at once.</summary>
    /// <param name="input">The bytes a server sends.</param>
    public static void DriveEngine(byte[] input)
    {
        var flags = input.Length > 1 ? input[1] : 0;
        var chunk = input.Length == 0 ? 1 : (input[0] % 13) + 1;
        var observer = new NullObserver();
        using var protocol = new QmpProtocol(TimeProvider.System, Timeout.InfiniteTimeSpan, sendIds: (flags & 1) != 0, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, observer);
        if ((flags & 2) == 0)
        {
            protocol.EnableOob();
        }

        var tasks = new List<Task>();
        foreach (var (name, oob) in new[] { ("qmp_capabilities", false), ("query-status", false), ("query-yank", true), ("cont", false) })
        {
            var id = protocol.NextId(oob);
            var command = new PendingCommand<JsonElement>(protocol.Commands, name, CommandEncoder.Encode(name, oob, id, null, QmpJson.DefaultOptions), id, oob, null);
            protocol.Commands.Add(command, out _);
            tasks.Add(command.TypedTask);
        }

        tasks.Add(protocol.Events.WaitAsync("SHUTDOWN", e => e.Data.ValueKind != JsonValueKind.Undefined, () => new QmpConnectionClosedException("closed"), CancellationToken.None));
        using var reader = new MessageReader(64 * 1024);
        Exception end = new QmpConnectionClosedException("end of input");
        try
        {
            protocol.TryTakeWrite(out _);
            for (var offset = 0; offset < input.Length;)
            {
                var free = reader.GetReceiveBuffer();
                var count = Math.Min(Math.Min(chunk, free.Length), input.Length - offset);
                input.AsMemory(offset, count).CopyTo(free);
                reader.Advance(count);
                offset += count;
                protocol.Receive(reader);
                protocol.TryTakeWrite(out _);
            }
        }
        catch (QmpCommunicationException e)
        {
            end = e;
        }

        protocol.Close(end);
        foreach (var task in tasks)
        {
            if (!task.IsCompleted)
            {
                throw new InvalidOperationException("The engine was closed but a task it handed out did not end: " + task);
            }

            if (task.Exception is { } error && error.InnerExceptions.Any(inner => inner is not QmpException and not JsonException))
            {
                throw new InvalidOperationException("The engine failed a task with an undocumented exception.", error);
            }
        }
    }

    /// <summary>The message reader and classifier, fed the input in chunks whose size the first byte chooses.</summary>
    /// <param name="input">The bytes a server sends.</param>
    public static void ReadMessages(byte[] input)
    {
        var chunk = input.Length == 0 ? 1 : (input[0] % 17) + 1;
        using var reader = new MessageReader(64 * 1024);
        try
        {
            for (var offset = 0; offset < input.Length;)
            {
                var free = reader.GetReceiveBuffer();
                var count = Math.Min(Math.Min(chunk, free.Length), input.Length - offset);
                input.AsMemory(offset, count).CopyTo(free);
                reader.Advance(count);
                offset += count;
                while (reader.TryReadMessage(out var message))
                {
                    Inspect(message.Span);
                }
            }
        }
        catch (QmpCommunicationException)
        {
            // The documented answer to a bad stream.
        }
    }

    /// <summary>A whole client: greeting, negotiation, in-band and out-of-band commands and events, against the input as the
    /// server's side of the conversation. Every task must end, with a result or a <see cref="QmpException"/>.</summary>
    /// <param name="input">The bytes a server sends.</param>
    public static void DriveClient(byte[] input)
    {
        var flags = input.Length > 1 ? input[1] : 0;
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
        var transport = new MemoryTransport(input, (flags >> 2) + 1, () => client!.Greeting is not null);
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
                throw new TimeoutException("A task the client handed out did not end: " + task);
            }

            if (task.Exception is { } error)
            {
                foreach (var inner in error.InnerExceptions)
                {
                    if (inner is not QmpException)
                    {
                        throw new InvalidOperationException("The client failed with an undocumented exception.", inner);
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

    private static void Inspect(ReadOnlySpan<byte> json)
    {
        var message = QmpMessage.Parse(json);
        switch (message.Kind)
        {
            case QmpMessageKind.Greeting:
                QmpMessage.ReadGreeting(json[message.Body]);
                break;
            case QmpMessageKind.Error:
                QmpMessage.ReadError(json[message.Body]);
                break;
            case QmpMessageKind.Event:
                QmpMessage.ReadTimestamp(message.Timestamp.Equals(default(Range)) ? default : json[message.Timestamp]);
                break;
            case QmpMessageKind.Return:
                var reader = new Utf8JsonReader(json[message.Body], new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
                reader.Read();
                JsonElement.ParseValue(ref reader);
                break;
        }

        message.TryGetNumericId(json, out _);
    }

    private sealed class NullObserver : IProtocolObserver
    {
        public void OnGreeting(QmpGreeting greeting)
        {
        }

        public void OnNoCommandsLive()
        {
        }

        public void OnWriteNeeded()
        {
        }

        public void OnTransactionTimeout(QmpCommunicationException timeout)
        {
        }
    }
}
