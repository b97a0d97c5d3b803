using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Qmp.Net.Internal;

/// <summary>The protocol engine of one connection: messages in, bytes to write out, outcomes on the commands' and waiters'
/// tasks. It owns the pending-command table, the transaction timer and the event hub, and knows nothing of sockets or of
/// the client above it (it reports through <see cref="IProtocolObserver"/>).</summary>
/// <remarks>
/// <para>It is driven synchronously and deterministically: <see cref="Receive(MessageReader)"/> dispatches every complete
/// message the reader holds, <see cref="TryTakeWrite(out ReadOnlyMemory{byte})"/> hands out the next bytes to write, and
/// no method starts a thread, waits, or posts work (tasks are completed with
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so their awaiters run elsewhere). Time comes only from
/// the <see cref="TimeProvider"/> given to the transaction timer. A single-threaded test or fuzz target can drive it
/// entirely.</para>
/// <para>Threading: one thread receives at a time, one thread writes at a time (the driver ensures both); commands may be
/// submitted from any thread.</para>
/// </remarks>
internal sealed class QmpProtocol : IDisposable
{
    private readonly IProtocolObserver _observer;
    private readonly ILogger _logger;
    private readonly List<PendingCommand> _batch = [];
    private readonly bool _sendIds;
    private byte[] _sendBuffer = [];
    private QmpGreeting? _greeting;
    private long _lastId;
    private PendingCommand? _answeredOne;
    private List<PendingCommand>? _answeredMore;

    public QmpProtocol(TimeProvider time, TimeSpan transactionTimeout, bool sendIds, ILogger logger, IProtocolObserver observer)
    {
        _observer = observer;
        _logger = logger;
        _sendIds = sendIds;
        Timer = new TransactionTimer(time, transactionTimeout, OnTimerExpired);
        Commands = new PendingCommandTable(observer.OnNoCommandsLive, Timer);
        Events = new EventHub();
    }

    /// <summary>Gets the pending-command table.</summary>
    public PendingCommandTable Commands { get; }

    /// <summary>Gets the transaction timer.</summary>
    public TransactionTimer Timer { get; }

    /// <summary>Gets the event hub.</summary>
    public EventHub Events { get; }

    /// <summary>Gets the greeting, once it has arrived.</summary>
    public QmpGreeting? Greeting => Volatile.Read(ref _greeting);

    /// <summary>Gets the id for the next command: a fresh one for out-of-band commands (and for every command when ids are
    /// sent), 0 (sent without one) otherwise.</summary>
    public long NextId(bool oob) => oob || _sendIds ? Interlocked.Increment(ref _lastId) : 0;

    /// <summary>Gets or sets a value indicating whether answers are decided during <see cref="Receive(MessageReader)"/> but
    /// published only when the driver takes them (<see cref="TakeAnswered"/>), so that it can first post its next receive;
    /// otherwise (the default, for a synchronous driver) they are published at once.</summary>
    public bool DeferAnswers { get; set; }

    /// <summary>Gets a value indicating whether answered commands wait to be published.</summary>
    public bool HasAnswered => _answeredOne is not null;

    /// <summary>Takes the commands answered since the last call, in the order of their answers (a deferring driver
    /// publishes them with <see cref="PendingCommand.Publish(bool)"/>). The receiving thread only.</summary>
    /// <returns>The first, and the others (or <see langword="null"/>), as a batch no later receive touches.</returns>
    public (PendingCommand? First, PendingCommand[]? More) TakeAnswered()
    {
        var first = _answeredOne;
        var more = _answeredMore is { Count: > 0 } list ? list.ToArray() : null;
        _answeredOne = null;
        _answeredMore?.Clear();
        return (first, more);
    }

    /// <summary>Gets the number of live commands (queued or written, not yet answered).</summary>
    public int LiveCount => Commands.LiveCount;

    /// <summary>Gets a value indicating whether <c>quit</c> has been written (a close after it is the expected end).</summary>
    public bool QuitWritten => Commands.QuitWritten;

    /// <summary>Gets a value indicating whether <see cref="TryTakeWrite(out ReadOnlyMemory{byte})"/> may find something.</summary>
    public bool HasWritable => Commands.HasWritable;

    /// <summary>Gets the event hub's live registrations (for tests).</summary>
    public (int EveryEvent, int ByName, int Waiters) EventRegistrations => Events.Registrations;

    /// <summary>Queues a command; see <see cref="PendingCommandTable.Add"/>.</summary>
    public PendingCommandTable.AddOutcome Submit(PendingCommand command, out bool writeInline) => Commands.Add(command, out writeInline);

    /// <summary>Creates an event subscription and registers it (completed at once after <see cref="Close"/>).</summary>
    public QmpEventSubscription Subscribe(Func<QmpEvent, bool>? filter, int capacity, ILogger logger)
    {
        var subscription = new QmpEventSubscription(Events, filter, capacity, logger);
        Events.Add(subscription);
        return subscription;
    }

    /// <summary>Waits for the next event with the name that the predicate accepts; see <see cref="EventHub.WaitAsync(string, Func{QmpEvent, bool}?, TimeSpan, TimeProvider, Func{Exception}, CancellationToken)"/>.</summary>
    public Task<QmpEvent> WaitForEventAsync(string name, Func<QmpEvent, bool>? match, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        Events.WaitAsync(name, match, timeout, time, static () => ExceptionFactory.Closed(), cancellationToken);

    /// <summary>Opens a queue of the events with the given name that arrive from now on.</summary>
    public EventNameQueue OpenEventQueue(string name, int capacity) => Events.OpenQueue(name, capacity, static () => ExceptionFactory.Closed());

    /// <summary>Adds a traced command's activity, which the events that arrive meanwhile are added to.</summary>
    public void TrackActivity(System.Diagnostics.Activity? activity) => Events.Activities.Add(activity);

    /// <summary>Removes a traced command's activity.</summary>
    public void UntrackActivity(System.Diagnostics.Activity? activity) => Events.Activities.Remove(activity);

    /// <summary>The negotiation enabled <c>oob</c>: QEMU reads ahead at most 8 in-band commands.</summary>
    public void EnableOob() => Commands.SetWindow(PendingCommandTable.OobReadAheadLimit);

    /// <summary>Dispatches every complete message the reader holds; restarts the transaction timer once when there is at
    /// least one, before the first is dispatched (whitespace or part of a message does not restart it).</summary>
    /// <returns>How many messages were dispatched.</returns>
    /// <exception cref="QmpCommunicationException">The server broke the protocol.</exception>
    public int Receive(MessageReader reader)
    {
        var count = 0;
        while (reader.TryReadMessage(out var message))
        {
            // Once per read, when its first whole message is framed and before anything is dispatched: the messages of one
            // read arrived together, and whoever sees a message's effect (a delivered event, a completed command) can rely
            // on the restart having happened.
            if (count++ == 0)
            {
                Timer.Restart();
            }

            OnMessage(message.Span);
        }

        return count;
    }

    /// <summary>Dispatches one complete message (a greeting, a response or an event).</summary>
    /// <exception cref="QmpCommunicationException">The server broke the protocol.</exception>
    public void OnMessage(ReadOnlySpan<byte> json)
    {
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            Log.WireReceived(_logger, SecretMasker.MaskJson(json));
        }

        var message = QmpMessage.Parse(json);
        if (message.Kind == QmpMessageKind.Greeting)
        {
            if (_greeting is not null)
            {
                throw ExceptionFactory.UnexpectedGreeting();
            }

            var greeting = QmpMessage.ReadGreeting(json[message.Body]);
            Volatile.Write(ref _greeting, greeting);
            _observer.OnGreeting(greeting);
            return;
        }

        if (_greeting is null)
        {
            throw ExceptionFactory.ExpectedGreeting();
        }

        if (message.Kind == QmpMessageKind.Event)
        {
            DeliverEvent(message, json);
        }
        else
        {
            HandleResponse(message, json);
        }
    }

    /// <summary>Takes what may be written now, as one buffer (commands written together are coalesced). The memory is valid
    /// until the next call. Only one thread may write at a time.</summary>
    /// <returns>Whether there is something to write.</returns>
    public bool TryTakeWrite(out ReadOnlyMemory<byte> data) => TryTakeWrite(out data, out _);

    /// <summary>As <see cref="TryTakeWrite(out ReadOnlyMemory{byte})"/>; <paramref name="descriptors"/> is the lease of
    /// the file descriptors that go with <paramref name="data"/> (then a single command), or <see langword="null"/>.</summary>
    public bool TryTakeWrite(out ReadOnlyMemory<byte> data, out DescriptorLease? descriptors)
    {
        descriptors = null;
        if (!Commands.TakeBatch(_batch))
        {
            data = default;
            return false;
        }

        descriptors = _batch.Count == 1 ? _batch[0].Descriptors : null;
        data = Coalesce(_batch);
        LogSent(_batch);
        return true;
    }

    /// <summary>The server closed the connection after <c>quit</c> was written: a <c>quit</c> still waiting for its answer
    /// succeeds (QEMU may exit before its answer is read).</summary>
    public void CompleteQuitOnClose() => Commands.TakeUnansweredQuit()?.Complete("{}"u8);

    /// <summary>Ends the protocol: every pending command and waiter fails with <paramref name="error"/>, every
    /// subscription completes, the timer stops. Idempotent.</summary>
    public void Close(Exception error)
    {
        Timer.Dispose();
        Commands.FailAll(error);
        Events.Close(error);
    }

    public void Dispose()
    {
        Timer.Dispose();
        var buffer = Interlocked.Exchange(ref _sendBuffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnTimerExpired() => _observer.OnTransactionTimeout(ExceptionFactory.TransactionTimeout(Timer.Period));

    private void HandleResponse(QmpMessage message, ReadOnlySpan<byte> json)
    {
        // Read an error body before a command leaves the table: a malformed one ends the connection, and the command must
        // still be in the table then so that it fails with everything else.
        var (errorClass, description) = message.Kind == QmpMessageKind.Error ? QmpMessage.ReadError(json[message.Body]) : default;
        long? id = message.TryGetNumericId(json, out var numeric) ? numeric : null;
        var command = Commands.TakeAnswered(id, message.HasId, message.Kind == QmpMessageKind.Return, _sendIds, out var errorWithoutId, out var writeNeeded);
        if (writeNeeded)
        {
            _observer.OnWriteNeeded();
        }

        if (message.Kind == QmpMessageKind.Return)
        {
            if (!command.Complete(json[message.Body], publish: !DeferAnswers))
            {
                Log.ResponseDropped(_logger, command.Command);
                return;
            }

            Answered(command);
            Log.CommandSucceeded(_logger, command.Command);
            return;
        }

        // The description is the server's text; a secret this command carried must not come back through it.
        description = SecretMasker.MaskEchoedSecrets(description, command.Payload);
        if (errorWithoutId)
        {
            Log.ErrorWithoutId(_logger, command.Command, errorClass, description);
        }
        else
        {
            Log.CommandFailed(_logger, command.Command, errorClass, description);
        }

        if (command.Fail(new QmpErrorException(errorClass, description, command.Command), publish: !DeferAnswers))
        {
            Answered(command);
        }
    }

    /// <summary>Keeps an answered command for <see cref="TakeAnswered"/> when answers are deferred.</summary>
    private void Answered(PendingCommand command)
    {
        if (!DeferAnswers)
        {
            return;
        }

        if (_answeredOne is null)
        {
            _answeredOne = command;
        }
        else
        {
            (_answeredMore ??= []).Add(command);
        }
    }

    private void DeliverEvent(QmpMessage message, ReadOnlySpan<byte> json)
    {
        // The data stays JSON text until someone reads QmpEvent.Data: it was framed and validated already, and an event
        // that is only counted or filtered by name costs no parsing.
        var name = message.EventName!;
        var data = message.Data.Equals(default(Range)) ? null : json[message.Data].ToArray();
        var timestamp = QmpMessage.ReadTimestamp(message.Timestamp.Equals(default(Range)) ? default : json[message.Timestamp]);
        var @event = new QmpEvent(name, data, timestamp, Events.NextSequence());
        Log.EventReceived(_logger, name, @event.Sequence);
        Events.Deliver(@event);
    }

    private ReadOnlyMemory<byte> Coalesce(List<PendingCommand> batch)
    {
        if (batch.Count == 1)
        {
            return batch[0].Payload;
        }

        var total = 0;
        foreach (var command in batch)
        {
            total += command.Payload.Length;
        }

        if (_sendBuffer.Length < total)
        {
            if (_sendBuffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_sendBuffer);
            }

            _sendBuffer = ArrayPool<byte>.Shared.Rent(total);
        }

        var offset = 0;
        foreach (var command in batch)
        {
            command.Payload.CopyTo(_sendBuffer, offset);
            offset += command.Payload.Length;
        }

        return _sendBuffer.AsMemory(0, total);
    }

    private void LogSent(List<PendingCommand> batch)
    {
        if (!_logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        foreach (var command in batch)
        {
            Log.CommandSent(_logger, command.Command);
            if (_logger.IsEnabled(LogLevel.Trace))
            {
                Log.WireSent(_logger, SecretMasker.MaskJson(command.Payload));
            }
        }
    }
}
