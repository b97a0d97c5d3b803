using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Qmp.Net.Internal;

namespace Qmp.Net;

public sealed partial class QmpClient
{
    /// <summary>QEMU's in-band read-ahead queue length (QMP_REQ_QUEUE_LEN_MAX): with <c>oob</c> negotiated, at most this many
    /// in-band commands are written and unanswered at once; more wait in the client's queue.</summary>
    internal const int OobReadAheadLimit = 8;

    private readonly Queue<PendingCommand> _sendQueue = new();
    private readonly Queue<PendingCommand> _oobQueue = new();
    private readonly Queue<PendingCommand> _inFlight = new();
    private readonly Dictionary<long, PendingCommand> _oobInFlight = [];
    private readonly List<PendingCommand> _batch = [];
    private readonly bool _sendIds;
    private byte[] _sendBuffer = [];
    private int _pendingCount;
    private int _maxInFlight = int.MaxValue;
    private bool _oobEnabled;
    private long _lastId;
    private int _writerActive;
    private int _answersNotFollowedUp;

    /// <summary>Executes a command and returns its result.</summary>
    /// <param name="command">The command name, e.g. <c>query-status</c>.</param>
    /// <param name="arguments">The arguments: <see langword="null"/> for none, or a JSON object as a <see cref="JsonElement"/>,
    /// <see cref="System.Text.Json.Nodes.JsonNode"/>, <see cref="JsonDocument"/>, dictionary, anonymous object or record
    /// (serialized with <see cref="QmpClientOptions.SerializerOptions"/>: kebab-case names by default).</param>
    /// <param name="cancellationToken">Cancels the wait. Before the command is written, nothing of it is sent; after, the
    /// command may still take effect in the server, and its response is consumed and dropped.</param>
    /// <returns>The <c>return</c> value (an empty object for commands without data).</returns>
    /// <exception cref="ArgumentException"><paramref name="command"/> is empty, or the arguments are not a JSON object.</exception>
    /// <exception cref="InvalidOperationException">The client has not connected yet.</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpCommunicationException">The connection broke before the answer arrived.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended (or was closing) before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JsonElement> ExecuteAsync(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var id = NextInBandId();
        var payload = CommandEncoder.Encode(command, false, id, arguments, _json);
        return Enqueue<JsonElement>(command, payload, id, false, null, cancellationToken);
    }

    /// <summary>Executes a command and deserializes its result with <see cref="QmpClientOptions.SerializerOptions"/>.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="System.Text.Json.JsonException">The result does not fit <typeparamref name="TResult"/> (the connection stays up).</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpException">The connection broke or ended before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteAsync<TResult>(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var resultType = (JsonTypeInfo<TResult>)_json.GetTypeInfo(typeof(TResult));
        var id = NextInBandId();
        var payload = CommandEncoder.Encode(command, false, id, arguments, _json);
        return Enqueue(command, payload, id, false, resultType, cancellationToken);
    }

    /// <summary>Executes a command and deserializes its result with the given metadata (source generation; native AOT safe
    /// for the result).</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="resultTypeInfo">The result's metadata, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <param name="cancellationToken">Cancels the wait, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="System.Text.Json.JsonException">The result does not fit <typeparamref name="TResult"/> (the connection stays up).</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpException">The connection broke or ended before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteAsync<TResult>(string command, object? arguments, JsonTypeInfo<TResult> resultTypeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(resultTypeInfo);
        var id = NextInBandId();
        var payload = CommandEncoder.Encode(command, false, id, arguments, _json);
        return Enqueue(command, payload, id, false, resultTypeInfo, cancellationToken);
    }

    /// <summary>Executes a command whose arguments and result are serialized with the given metadata (source generation;
    /// native AOT safe).</summary>
    /// <typeparam name="TArguments">The arguments type; it must serialize to a JSON object.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments; <see langword="null"/> sends none.</param>
    /// <param name="argumentsTypeInfo">The arguments' metadata.</param>
    /// <param name="resultTypeInfo">The result's metadata.</param>
    /// <param name="cancellationToken">Cancels the wait, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="System.Text.Json.JsonException">The result does not fit <typeparamref name="TResult"/> (the connection stays up).</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpException">The connection broke or ended before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteAsync<TArguments, TResult>(
        string command,
        TArguments arguments,
        JsonTypeInfo<TArguments> argumentsTypeInfo,
        JsonTypeInfo<TResult> resultTypeInfo,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(argumentsTypeInfo);
        ArgumentNullException.ThrowIfNull(resultTypeInfo);
        var id = NextInBandId();
        var payload = CommandEncoder.Encode(command, false, id, arguments, argumentsTypeInfo);
        return Enqueue(command, payload, id, false, resultTypeInfo, cancellationToken);
    }

    /// <summary>Executes a command out of band (<c>exec-oob</c>): it runs at once in the server's I/O thread and its answer,
    /// matched by id, may overtake in-band answers. Needs the negotiated <c>oob</c> capability.</summary>
    /// <param name="command">A command the server allows out of band (QEMU 7.2: <c>migrate-recover</c>, <c>migrate-pause</c>,
    /// <c>yank</c>, <c>query-yank</c>); others come back as <see cref="QmpErrorException"/>.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <returns>The <c>return</c> value.</returns>
    /// <exception cref="InvalidOperationException"><c>oob</c> was not negotiated, or the client has not connected yet.</exception>
    /// <exception cref="QmpErrorException">The server answered with an error (e.g. the command does not support OOB).</exception>
    /// <exception cref="QmpException">The connection broke or ended before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JsonElement> ExecuteOobAsync(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ThrowIfOobUnavailable();
        var id = Interlocked.Increment(ref _lastId);
        var payload = CommandEncoder.Encode(command, true, id, arguments, _json);
        return Enqueue<JsonElement>(command, payload, id, true, null, cancellationToken);
    }

    /// <summary>Executes a command out of band and deserializes its result with the given metadata.</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">A command the server allows out of band.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="resultTypeInfo">The result's metadata.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The deserialized <c>return</c> value.</returns>
    /// <exception cref="InvalidOperationException"><c>oob</c> was not negotiated, or the client has not connected yet.</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpException">The connection broke or ended before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<TResult> ExecuteOobAsync<TResult>(string command, object? arguments, JsonTypeInfo<TResult> resultTypeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(resultTypeInfo);
        ThrowIfOobUnavailable();
        var id = Interlocked.Increment(ref _lastId);
        var payload = CommandEncoder.Encode(command, true, id, arguments, _json);
        return Enqueue(command, payload, id, true, resultTypeInfo, cancellationToken);
    }

    internal void OnCancelledBeforeWrite(PendingCommand command)
    {
        lock (_sync)
        {
            if (_terminated || !command.Counted)
            {
                return;
            }

            // The entry stays in its queue; the writer skips it. Only the count of live commands changes.
            OnCommandFinishedLocked();
        }

        RaiseStateChanges();
    }

    private long NextInBandId() => _sendIds ? Interlocked.Increment(ref _lastId) : 0;

    private void ThrowIfOobUnavailable()
    {
        lock (_sync)
        {
            if (!_terminated && _state is QmpState.Disconnected or QmpState.Connecting or QmpState.AwaitingGreeting or QmpState.Negotiating)
            {
                ExceptionFactory.ThrowNotConnected(_state);
            }

            if (!_oobEnabled && !_terminated)
            {
                ExceptionFactory.ThrowOobNotNegotiated();
            }
        }
    }

    private Task<T> Enqueue<T>(string command, byte[] payload, long id, bool oob, JsonTypeInfo<T>? resultType, CancellationToken cancellationToken, bool negotiation = false)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var pending = new PendingCommand<T>(this, command, payload, id, oob, resultType);

        // Registered before the command is published, so that whatever ends it (an answer, the end of the connection)
        // finds the registration to dispose.
        pending.RegisterCancellation(cancellationToken);
        bool inline;
        lock (_sync)
        {
            if (_terminated || _state == QmpState.Closing)
            {
                pending.Fail(ExceptionFactory.Closed());
                return pending.TypedTask;
            }

            if (!negotiation && _state is not (QmpState.Idle or QmpState.Busy))
            {
                pending.ReleaseRegistration();
                ExceptionFactory.ThrowNotConnected(_state);
            }

            if (pending.Stage != PendingCommand.Queued)
            {
                // Cancelled in the meantime: nothing to send, nothing to count.
                return pending.TypedTask;
            }

            pending.Counted = true;

            // A command issued in reply to an answer (typically the continuation of the caller it answered) while other
            // answers are pending joins the next coalesced send; any other command is written at once.
            var followsAnswer = _answersNotFollowedUp > 0;
            if (followsAnswer)
            {
                _answersNotFollowedUp--;
            }

            inline = !followsAnswer || oob || _inFlight.Count == 0;

            (oob ? _oobQueue : _sendQueue).Enqueue(pending);
            if (++_pendingCount == 1 && _state == QmpState.Idle)
            {
                SetStateLocked(QmpState.Busy);
            }
        }

        RaiseStateChanges();
        ScheduleWrite(inline);
        return pending.TypedTask;
    }

    /// <summary>One command has left the set of live commands (answered, or cancelled before it was written). Caller holds the lock.</summary>
    private void OnCommandFinishedLocked()
    {
        if (--_pendingCount == 0)
        {
            if (_state == QmpState.Busy)
            {
                SetStateLocked(QmpState.Idle);
            }
            else if (_state == QmpState.Closing)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>Makes sure a writer runs when there is something to write. The caller that finds no writer active becomes the
    /// writer; concurrent callers' commands are coalesced into the active writer's next send. With <paramref name="inline"/>
    /// it writes at once on the caller's thread, so a lone or sequential command goes out without a thread hop. Without it
    /// (a command issued in reply to an answer while others are pending, so the server is busy anyway), the writer starts
    /// from the thread pool, so that the commands the other answered callers issue meanwhile leave in the same send.</summary>
    /// <param name="inline">Whether to write on the calling thread.</param>
    private void ScheduleWrite(bool inline = true)
    {
        if (Interlocked.CompareExchange(ref _writerActive, 1, 0) == 0)
        {
            // Deferred writes go to the thread pool, never to the caller's SynchronizationContext.
            _ = inline ? WriteLoopAsync() : Task.Run(WriteLoopAsync, CancellationToken.None);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> data;
                IQmpTransport transport;
                lock (_sync)
                {
                    if (_terminated || _transport is null)
                    {
                        Volatile.Write(ref _writerActive, 0);
                        return;
                    }

                    transport = _transport;
                    _batch.Clear();
                    while (_oobQueue.TryDequeue(out var command))
                    {
                        if (command.TryMarkWritten())
                        {
                            _oobInFlight[command.Id] = command;
                            _batch.Add(command);
                        }
                    }

                    while (_inFlight.Count < _maxInFlight && _sendQueue.TryDequeue(out var command))
                    {
                        if (command.TryMarkWritten())
                        {
                            _inFlight.Enqueue(command);
                            _batch.Add(command);
                            if (command.Command == "quit")
                            {
                                _quitWritten = true;
                            }
                        }
                    }

                    if (_batch.Count == 0)
                    {
                        Volatile.Write(ref _writerActive, 0);
                        return;
                    }

                    UpdateTransactionTimerLocked();
                    data = Coalesce(_batch);
                }

                LogSent(_batch);
                await transport.SendAsync(data, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Volatile.Write(ref _writerActive, 0);

            // After `quit` the server may close before reading what follows; the read loop sees the close and ends the
            // connection gracefully, failing what was written after `quit` with QmpConnectionClosedException.
            if (!IsTerminated && !QuitWritten)
            {
                Terminate(ExceptionFactory.WriteFailed(e));
            }
        }
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

    private void HandleResponse(QmpMessage message, ReadOnlySpan<byte> json)
    {
        // Read an error body before a command leaves the queues: a malformed one ends the connection, and the command
        // must still be in a queue then so that it fails with everything else.
        var (errorClass, description) = message.Kind == QmpMessageKind.Error ? QmpMessage.ReadError(json[message.Body]) : default;
        PendingCommand? command = null;
        var errorWithoutId = false;
        var needWrite = false;
        lock (_sync)
        {
            if (message.TryGetNumericId(json, out var id) && _oobInFlight.Remove(id, out command))
            {
                OnCommandFinishedLocked();
            }
            else if (!_inFlight.TryPeek(out var head))
            {
                throw _oobInFlight.Count == 0 ? ExceptionFactory.UnexpectedReceive() : ExceptionFactory.UnmatchedId();
            }
            else
            {
                if (_sendIds)
                {
                    if (!message.HasId)
                    {
                        if (message.Kind == QmpMessageKind.Return)
                        {
                            throw ExceptionFactory.MissingId(head.Command);
                        }

                        errorWithoutId = true;
                    }
                    else if (!message.TryGetNumericId(json, out var headId) || headId != head.Id)
                    {
                        throw ExceptionFactory.WrongId(head.Command);
                    }
                }
                else if (message.HasId)
                {
                    throw ExceptionFactory.UnmatchedId();
                }

                command = _inFlight.Dequeue();
                _answersNotFollowedUp++;
                if (command.Stage == PendingCommand.Written)
                {
                    OnCommandFinishedLocked();
                }

                needWrite = _sendQueue.Count > 0 && _inFlight.Count < _maxInFlight;
            }

            UpdateTransactionTimerLocked();
        }

        RaiseStateChanges();
        if (needWrite)
        {
            ScheduleWrite();
        }

        if (message.Kind == QmpMessageKind.Return)
        {
            if (command.Task.IsCompleted)
            {
                Log.ResponseDropped(_logger, command.Command);
                return;
            }

            command.Complete(json[message.Body]);
            Log.CommandSucceeded(_logger, command.Command);
        }
        else
        {
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

            command.Fail(new QmpErrorException(errorClass, description, command.Command));
        }
    }
}
