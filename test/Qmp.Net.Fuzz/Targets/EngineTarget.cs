using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Internal;

namespace Qmp.Net.Fuzz.Targets;

/// <summary>Target 2, the protocol engine: <see cref="QmpProtocol"/> with its command table, window, transaction timer
/// and event hub, driven from this one thread — bytes in through a <see cref="MessageReader"/>, writes taken out, time
/// from a <see cref="FakeTimeProvider"/> advanced between chunks. No sockets, no thread pool, no real timers.</summary>
/// <remarks>
/// Configuration bits: 0–3 the chunk size (1–16; with bit 3 and 2 set together, 1,500), 4 send ids with every command,
/// 5 no <c>oob</c> (in-band window unlimited), 6 a 3-second transaction timeout with the clock advanced a second after
/// every chunk, 7 cancel <c>cont</c> after the first chunk. The rule: when the engine is closed, every task it handed
/// out has ended — with a result, a <see cref="QmpException"/> or a cancellation — and anything else is a finding.
/// </remarks>
internal static class EngineTarget
{
    /// <summary>Default configuration: chunks of 7 bytes, oob, no ids, no timeout.</summary>
    private const byte DefaultConfig = 6;

    private static readonly (string Name, bool Oob)[] s_first =
        [("qmp_capabilities", false), ("query-status", false), ("query-yank", true), ("cont", false)];

    private static readonly (string Name, bool Oob)[] s_later =
        [("stop", false), ("query-name", false), ("x-oob-test", true), ("quit", false)];

    public static void Run(ReadOnlySpan<byte> input)
    {
        var fuzz = new FuzzInput(input, DefaultConfig);
        var config = fuzz.Config;
        var data = fuzz.Data;
        var chunk = (config & 0x0C) == 0x0C && (config & 0x03) == 0x03 ? 1500 : (config & 0x0F) + 1;
        var oob = (config & 0x20) == 0;
        var time = new FakeTimeProvider();
        var timeout = (config & 0x40) != 0 ? TimeSpan.FromSeconds(3) : Timeout.InfiniteTimeSpan;
        var observer = new Observer();
        using var protocol = new QmpProtocol(time, timeout, sendIds: (config & 0x10) != 0, NullLogger.Instance, observer);
        if (oob)
        {
            protocol.EnableOob();
        }

        using var cancel = new CancellationTokenSource();
        var tasks = new List<(string What, Task Task)>();
        foreach (var (name, isOob) in s_first)
        {
            tasks.Add((name, Submit(protocol, name, isOob && oob, name == "cont" ? cancel.Token : default)));
        }

        using var events = new QmpEventSubscription(protocol.Events, null, capacity: 2, NullLogger.Instance);
        protocol.Events.Add(events);
        tasks.Add(("SHUTDOWN waiter", protocol.Events.WaitAsync("SHUTDOWN", e => e.Data.ValueKind != JsonValueKind.Undefined, () => new QmpConnectionClosedException("closed"), CancellationToken.None)));
        tasks.Add(("subscription", events.Completion));

        using var reader = new MessageReader(16 * 1024);
        Exception end = new QmpConnectionClosedException("end of input");
        var later = 0;
        try
        {
            Write(protocol);
            for (var offset = 0; offset < data.Length && observer.Timeout is null;)
            {
                var free = reader.GetReceiveBuffer().Span;
                var count = Math.Min(Math.Min(chunk, free.Length), data.Length - offset);
                data.Slice(offset, count).CopyTo(free);
                reader.Advance(count);
                offset += count;
                var dispatched = protocol.Receive(reader);
                if (dispatched > 0 && later < s_later.Length)
                {
                    // Commands issued while others are answered: the window and the coalescing of follow-ups.
                    var (name, isOob) = s_later[later++];
                    tasks.Add((name, Submit(protocol, name, isOob && oob, default)));
                }

                if ((config & 0x80) != 0 && !cancel.IsCancellationRequested)
                {
                    cancel.Cancel();
                }

                Write(protocol);
                while (events.TryRead(out var e))
                {
                    _ = e.Data.ValueKind;
                }

                if (timeout != Timeout.InfiniteTimeSpan)
                {
                    time.Advance(TimeSpan.FromSeconds(1));
                }
            }

            if (observer.Timeout is { } expired)
            {
                end = expired;
            }
        }
        catch (QmpCommunicationException e)
        {
            end = e;
        }

        protocol.Close(end);
        while (events.TryRead(out var left))
        {
            _ = left.Data.ValueKind;
        }

        foreach (var (what, task) in tasks)
        {
            if (!task.IsCompleted)
            {
                throw new FuzzFindingException($"The engine was closed but the task of '{what}' did not end.");
            }

            if (task.Exception is { } error && error.InnerExceptions.FirstOrDefault(inner => inner is not QmpException) is { } undocumented)
            {
                throw new FuzzFindingException($"The engine failed '{what}' with an undocumented exception.", undocumented);
            }
        }
    }

    private static Task Submit(QmpProtocol protocol, string name, bool oob, CancellationToken cancellationToken)
    {
        var id = protocol.NextId(oob);
        var command = new PendingCommand<JsonElement>(protocol.Commands, name, CommandEncoder.Encode(name, oob, id, null, QmpJson.DefaultOptions), id, oob, null);
        command.RegisterCancellation(cancellationToken);
        if (protocol.Commands.Add(command, out _) != PendingCommandTable.AddOutcome.Accepted)
        {
            throw new FuzzFindingException($"The engine refused '{name}' before it was closed.");
        }

        return command.TypedTask;
    }

    private static void Write(QmpProtocol protocol)
    {
        while (protocol.TryTakeWrite(out var bytes))
        {
            if (bytes.Length == 0)
            {
                throw new FuzzFindingException("The engine handed out an empty write.");
            }
        }
    }

    private sealed class Observer : IProtocolObserver
    {
        public QmpCommunicationException? Timeout { get; private set; }

        public void OnGreeting(QmpGreeting greeting)
        {
        }

        public void OnNoCommandsLive()
        {
        }

        public void OnWriteNeeded()
        {
        }

        public void OnTransactionTimeout(QmpCommunicationException timeout) => Timeout ??= timeout;
    }
}
