using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Qmp.Net.Internal;

/// <summary>One QMP connection's I/O and lifecycle: the transport, the protocol core, the read and write loops, the drain of
/// a graceful disconnect and the one teardown path. It starts its loops and awaits both in <see cref="DisposeAsync"/>.</summary>
/// <remarks>
/// <para>It owns the connection's state (<see cref="QmpState"/>, the greeting, whether <c>oob</c> was negotiated, how the
/// connection ended) under one lock, inside which the command table's lock nests, never the other way round; the client
/// above holds no lock. Facts go up as one ordered stream: every state change (the greeting's arrival included, as
/// <see cref="QmpState.Negotiating"/>; busy and idle; the end, as <see cref="QmpState.Disconnected"/> with the reason on
/// <see cref="Completion"/>) is handed to <see cref="IConnectionListener.OnStateChanged"/> once, in order, by one thread at
/// a time and with no lock held.</para>
/// <para>The protocol core reports to it through <see cref="IProtocolObserver"/>; nothing here calls into the client.</para>
/// </remarks>
internal sealed partial class QmpConnection : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly QmpProtocol _protocol;
    private readonly IConnectionListener _listener;
    private readonly QmpEndpoint _endpoint;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;
    private readonly QmpIoMode _ioMode;
    private readonly Queue<(QmpState Old, QmpState New)> _stateChanges = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<QmpGreeting> _greetingReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _ended = new();

    private QmpState _state;
    private bool _started;
    private bool _notifying;
    private volatile bool _terminated;
    private bool _opened;
    private bool _oobEnabled;
    private Exception? _terminationReason;
    private Exception? _terminationForPending;
    private TaskCompletionSource? _drained;
    private IQmpTransport? _transport;
    private Task _readLoop = Task.CompletedTask;
    private DedicatedReader? _dedicatedReader;
    private int _writerActive;
    private int _disposed;

    public QmpConnection(QmpEndpoint endpoint, QmpClientOptions options, ILogger logger, IConnectionListener listener)
    {
        _endpoint = endpoint;
        _logger = logger;
        _listener = listener;
        _maxMessageBytes = options.MaxMessageBytes;
        _ioMode = options.IoMode;
        _protocol = new QmpProtocol(options.TimeProvider, options.TransactionTimeout, options.SendCommandIds, logger, new Observer(this))
        {
            DeferAnswers = true,
        };
    }

    /// <summary>Gets the protocol core (its surface: ids, commands, subscriptions, waits).</summary>
    public QmpProtocol Protocol => _protocol;

    /// <summary>Gets the state.</summary>
    public QmpState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets the greeting, once it has arrived.</summary>
    public QmpGreeting? Greeting => _protocol.Greeting;

    /// <summary>Gets a value indicating whether the greeting has arrived and the connection has not ended.</summary>
    public bool IsConnected => _protocol.Greeting is not null && !_terminated;

    /// <summary>Gets a value indicating whether the negotiation enabled <c>oob</c>.</summary>
    public bool OobEnabled => Volatile.Read(ref _oobEnabled);

    /// <summary>Gets a value indicating whether the connection has ended.</summary>
    public bool IsTerminated => _terminated;

    /// <summary>Gets what ended the connection with an error, once it has ended (<see langword="null"/> for a graceful end).</summary>
    public Exception? TerminationReason => Volatile.Read(ref _terminationReason);

    /// <summary>Gets a token cancelled last in the teardown, once everything has its outcome (ends a connect in progress).</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>Gets a task that completes when the greeting arrives, or fails with the reason the connection ended first.</summary>
    public Task<QmpGreeting> GreetingReceived => _greetingReceived.Task;

    /// <summary>Gets a task that completes when the connection has ended: successfully for a graceful end, faulted with the
    /// cause otherwise.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Connecting starts (once): the state becomes <see cref="QmpState.Connecting"/>.</summary>
    /// <returns>Whether this call started it; false when it started before or the connection ended.</returns>
    public bool TryStart()
    {
        bool queued;
        lock (_lock)
        {
            if (_started || _terminated)
            {
                return false;
            }

            _started = true;
            queued = SetStateLocked(QmpState.Connecting);
        }

        RaiseStateChanges(queued);
        return true;
    }

    /// <summary>Gets a value indicating whether connecting has started.</summary>
    public bool Started
    {
        get
        {
            lock (_lock)
            {
                return _started;
            }
        }
    }

    /// <summary>Takes the connected transport and starts the read loop.</summary>
    /// <exception cref="QmpConnectionClosedException">The connection ended meanwhile (the transport is aborted).</exception>
    public void Attach(IQmpTransport transport)
    {
        bool queued;
        lock (_lock)
        {
            if (_terminated)
            {
                transport.Abort();
                throw ExceptionFactory.Closed();
            }

            _transport = transport;

            // Published with the transport, so that a dispose that sees the transport also waits for the read loop. On the
            // thread pool, whatever the caller's SynchronizationContext: a UI thread blocked on ConnectAsync must not be
            // where the read loop waits to run.
            _readLoop = StartReading(transport);
            queued = SetStateLocked(QmpState.AwaitingGreeting);
        }

        RaiseStateChanges(queued);
    }

    /// <summary>Starts reading <paramref name="transport"/> in the connection's I/O mode; returns the task that ends with
    /// reading.</summary>
    private Task StartReading(IQmpTransport transport)
    {
        if ((ForcedIoMode ?? _ioMode) == QmpIoMode.DedicatedThread)
        {
            var reader = new DedicatedReader(this, transport);
            try
            {
                _dedicatedReader = reader;
                reader.Start();
                return reader.Stopped;
            }
            catch (OutOfMemoryException)
            {
                // No thread to be had: read on the thread pool instead.
            }
        }

        return Task.Run(() => ReadLoopAsync(transport), CancellationToken.None);
    }

    /// <summary>The negotiation succeeded: commands may be executed.</summary>
    /// <exception cref="QmpConnectionClosedException">The connection ended meanwhile.</exception>
    public void Open(bool oob)
    {
        bool queued;
        lock (_lock)
        {
            if (_terminated)
            {
                throw ExceptionFactory.Closed();
            }

            Volatile.Write(ref _oobEnabled, oob);
            if (oob)
            {
                _protocol.EnableOob();
            }

            _opened = true;
            queued = SetStateLocked(_protocol.LiveCount > 0 ? QmpState.Busy : QmpState.Idle);
        }

        RaiseStateChanges(queued);
        if (Telemetry.ConnectionsOpened.Enabled)
        {
            Telemetry.ConnectionsOpened.Add(1);
        }
    }

    /// <summary>Throws unless an out-of-band command may be submitted now (a finished connection fails it instead).</summary>
    public void ThrowIfOobUnavailable()
    {
        lock (_lock)
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

    /// <summary>Submits a command: refused once the connection is closing or ended, queued otherwise, then written at once
    /// on this thread when no writer is active (see <see cref="ScheduleWrite(bool)"/>).</summary>
    /// <param name="pending">The command, its cancellation registered.</param>
    /// <param name="negotiation">It is the negotiation, sent before the connection is open.</param>
    /// <exception cref="InvalidOperationException">The connection is not open yet.</exception>
    public void Submit(PendingCommand pending, bool negotiation)
    {
        bool inline;
        bool queued = false;
        lock (_lock)
        {
            if (_terminated || _state == QmpState.Closing)
            {
                pending.Fail(ExceptionFactory.Closed());
                return;
            }

            if (!negotiation && _state is not (QmpState.Idle or QmpState.Busy))
            {
                pending.ReleaseRegistration();
                ExceptionFactory.ThrowNotConnected(_state);
            }

            // Under the connection's lock (the table's lock nests inside it), so that the state check and the queueing are
            // one step: a command is either refused as closing or accepted and drained by DisconnectAsync.
            switch (_protocol.Submit(pending, out inline))
            {
                case PendingCommandTable.AddOutcome.Closed:
                    pending.Fail(ExceptionFactory.Closed());
                    return;
                case PendingCommandTable.AddOutcome.Cancelled:
                    return;
            }

            if (_state == QmpState.Idle)
            {
                queued = SetStateLocked(QmpState.Busy);
            }
        }

        RaiseStateChanges(queued);
        ScheduleWrite(inline);
    }

    /// <summary>Starts a graceful close: nothing new is accepted; the returned task completes when every accepted command
    /// has finished (at once when the connection is not open). Null when the connection has ended already.</summary>
    public Task? BeginDrain()
    {
        Task drained;
        bool queued = false;
        lock (_lock)
        {
            if (_terminated)
            {
                return null;
            }

            if (_state is not (QmpState.Idle or QmpState.Busy or QmpState.Closing))
            {
                drained = Task.CompletedTask;
            }
            else
            {
                queued = SetStateLocked(QmpState.Closing);
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_protocol.LiveCount == 0)
                {
                    _drained.TrySetResult();
                }

                drained = _drained.Task;
            }
        }

        RaiseStateChanges(queued);
        return drained;
    }

    /// <summary>Waits until the read loop has ended; never throws.</summary>
    public async Task WaitForReadLoopAsync()
    {
        try
        {
            await Volatile.Read(ref _readLoop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The read loop reports through Completion.
        }
    }

    /// <summary>The one teardown path: ends the connection once, whatever the cause, and ends every task handed out.
    /// Returns what pending work fails with, so that a caller can <c>throw Break(e)</c>.</summary>
    /// <param name="error">What broke the connection, or <see langword="null"/> for a graceful end.</param>
    /// <param name="serverClosed">The server closed the connection at a message boundary.</param>
    /// <returns>The exception pending commands and waiters fail with (for a repeated call: that of the first).</returns>
    public Exception Break(Exception? error, bool serverClosed = false)
    {
        IQmpTransport? transport;
        TaskCompletionSource? drained;
        QmpState oldState;
        Exception forPending;
        bool queued;
        bool opened;
        lock (_lock)
        {
            if (_terminated)
            {
                return _terminationForPending!;
            }

            _terminated = true;
            Volatile.Write(ref _terminationReason, error);
            forPending = error switch
            {
                QmpCommunicationException => error,
                null => ExceptionFactory.Closed(),
                _ => ExceptionFactory.ClosedBy(error),
            };
            _terminationForPending = forPending;
            oldState = _state;
            queued = SetStateLocked(QmpState.Disconnected);
            transport = _transport;
            drained = _drained;
            opened = _opened;
        }

        transport?.Abort();
        if (opened && Telemetry.ConnectionsClosed.Enabled)
        {
            var reason = error switch
            {
                null => serverClosed ? "server" : "client",
                QmpCommunicationException c => c.Error.ToString(),
                _ => error.GetType().Name,
            };
            Telemetry.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("qmp.close.reason", reason));
        }

        if (error is null)
        {
            if (oldState != QmpState.Disconnected || Started)
            {
                Log.Disconnected(_logger, _endpoint, serverClosed ? "closed by the server" : "closed by the client");
            }

            _completion.TrySetResult();
        }
        else
        {
            if (error is QmpCommunicationException communication)
            {
                Log.ConnectionFailed(_logger, _endpoint, communication.Error.ToString(), error);
            }

            _completion.TrySetException(error);

            // Completion reports the error to whoever awaits it; nobody has to, so it must never surface as unobserved.
            _ = _completion.Task.Exception;
        }

        // Completion has the outcome before any task fails with it: a caller who sees a command, an event wait or a drain
        // end with the connection's error finds Completion ended too.
        _protocol.Close(forPending);
        drained?.TrySetResult();

        // Last, once everything has its outcome: a connect in progress ends, whether it waits for the greeting or in a
        // retry delay, and sees the cause.
        if (_greetingReceived.TrySetException(error ?? forPending))
        {
            _ = _greetingReceived.Task.Exception;
        }

        // The source is never disposed (a Cancel on a disposed source would throw on a thread the user does not own, such
        // as a transaction timeout's timer thread); it has no timer, so the GC releases it.
        _ended.Cancel();
        RaiseStateChanges(queued);
        return forPending;
    }

    /// <summary>Ends the connection (gracefully, unless it ended already) and waits until both loops have stopped; then
    /// releases the protocol core's buffers and timer. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Break(null);
        await WaitForReadLoopAsync().ConfigureAwait(false);

        // Take the writer's role for good: once it is ours, no write loop runs, and none can start (the connection ended).
        while (Interlocked.CompareExchange(ref _writerActive, 1, 0) != 0)
        {
            await _writerStopped.Task.ConfigureAwait(false);
            await Task.Yield();
        }

        _protocol.Dispose();
    }

    /// <summary>Makes sure a writer runs when there is something to write. The caller that finds no writer active becomes the
    /// writer; concurrent callers' commands are coalesced into the active writer's next send. With <paramref name="inline"/>
    /// it writes at once on the caller's thread, so a lone or sequential command goes out without a thread hop. Without it
    /// (a command issued in reply to an answer while others are pending, so the server is busy anyway), the writer starts
    /// from the thread pool, so that the commands the other answered callers issue meanwhile leave in the same send.</summary>
    private void ScheduleWrite(bool inline = true)
    {
        if (Interlocked.CompareExchange(ref _writerActive, 1, 0) == 0)
        {
            // Deferred writes go to the thread pool, never to the caller's SynchronizationContext.
            _ = inline ? WriteLoopAsync() : Task.Run(WriteLoopAsync, CancellationToken.None);
        }
    }

    /// <summary>Gives up the writer's role; once the connection has ended, tells a waiting <see cref="DisposeAsync"/>.</summary>
    private void ReleaseWriter()
    {
        // A full fence between giving up the role and reading _terminated: DisposeAsync does the mirror image (sets
        // _terminated, then tries to take the role), so with a plain store the load could be ordered before it (the CPU's
        // store buffer), each side would read the other's old value, and DisposeAsync would wait for a signal never sent.
        Interlocked.Exchange(ref _writerActive, 0);
        if (_terminated)
        {
            _writerStopped.TrySetResult();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                var transport = Volatile.Read(ref _transport);
                if (transport is null || _terminated)
                {
                    ReleaseWriter();
                    return;
                }

                if (!_protocol.TryTakeWrite(out var data, out var descriptors))
                {
                    // Give up the writer's role, then look again: a command queued between the take and the release found
                    // the role taken and left its write to this writer.
                    ReleaseWriter();
                    if (!_protocol.HasWritable || Interlocked.CompareExchange(ref _writerActive, 1, 0) != 0)
                    {
                        return;
                    }

                    continue;
                }

                if (descriptors is not null && transport is IQmpDescriptorTransport passing && descriptors.TryAcquire())
                {
                    try
                    {
                        await passing.SendAsync(data, descriptors.Descriptors, CancellationToken.None).ConfigureAwait(false);
                    }
                    finally
                    {
                        descriptors.Release();
                    }
                }
                else
                {
                    // No descriptors, or the command's caller gave up (cancelled) after it was taken and the lease ended:
                    // its answer is dropped anyway, and without the descriptors QEMU refuses it harmlessly.
                    await transport.SendAsync(data, CancellationToken.None).ConfigureAwait(false);
                }

                if (Telemetry.BytesSent.Enabled)
                {
                    Telemetry.BytesSent.Add(data.Length);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // After `quit` the server may close before reading what follows; the read loop sees the close and ends the
            // connection gracefully, failing what was written after `quit` with QmpConnectionClosedException.
            if (!_terminated && !_protocol.QuitWritten)
            {
                Break(ExceptionFactory.WriteFailed(e));
            }

            ReleaseWriter();
        }
    }

    /// <summary>Receives until the connection ends, feeding the protocol core; reports how it ended through
    /// <see cref="Break(Exception?, bool)"/>.</summary>
    private async Task ReadLoopAsync(IQmpTransport transport)
    {
        Exception? error = null;
        using var reader = new MessageReader(_maxMessageBytes);
        try
        {
            var receive = ReceiveAsync(transport, reader);
            while (true)
            {
                int received;
                try
                {
                    if (receive.IsCompleted || !_protocol.HasAnswered)
                    {
                        PublishAnswered(inline: false);
                        received = await receive.ConfigureAwait(false);
                    }
                    else
                    {
                        // The swap: the next receive is pending, so the loop now waits in the socket engine, not on this
                        // thread; the answered caller runs here once the loop's continuation is registered.
                        received = await new PublishWhenPending(receive.ConfigureAwait(false).GetAwaiter(), _protocol.TakeAnswered());
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
                {
                    if (!_terminated && !_protocol.QuitWritten)
                    {
                        error = ExceptionFactory.ReadFailed(e);
                    }

                    break;
                }

                if (received == 0)
                {
                    if (reader.HasPartialMessage && !_protocol.QuitWritten)
                    {
                        error = ExceptionFactory.ClosedMidMessage();
                    }

                    break;
                }

                reader.Advance(received);
                if (Telemetry.BytesReceived.Enabled)
                {
                    Telemetry.BytesReceived.Add(received);
                }

                _protocol.Receive(reader);
                if (_terminated)
                {
                    break;
                }

                receive = ReceiveAsync(transport, reader);
            }
        }
        catch (QmpException e)
        {
            error = e;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Every violation by the server is a QmpException: anything else is a bug in this library, not in the server.
            Log.InternalError(_logger, _endpoint, e);
            error = ExceptionFactory.InternalError(e);
        }

        EndReading(error);
    }

    /// <summary>Reading has ended, with <paramref name="error"/> or gracefully: publishes what was answered, then ends the
    /// connection with the reason.</summary>
    private void EndReading(Exception? error)
    {
        // Answers decided before the loop ended (a later message of the same read may have broken the protocol) reach their
        // callers before anything fails.
        PublishAnswered(inline: false);
        if (error is null && _protocol.Greeting is null && !_terminated)
        {
            // Connecting failed: the server hung up before it said anything (a TLS server that rejects the client's
            // certificate does this, and so does a QMP server that already has a client).
            error = ExceptionFactory.ClosedBeforeGreeting(_endpoint);
        }

        if (error is null)
        {
            _protocol.CompleteQuitOnClose();
        }

        Break(error, serverClosed: error is null);
    }

    private static ValueTask<int> ReceiveAsync(IQmpTransport transport, MessageReader reader)
    {
        try
        {
            return transport.ReceiveAsync(reader.GetReceiveBuffer(), CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    /// <summary>Publishes the commands answered since the last call.</summary>
    private void PublishAnswered(bool inline)
    {
        if (_protocol.HasAnswered)
        {
            Publish(_protocol.TakeAnswered(), inline);
        }
    }

    /// <summary>Publishes a batch of answered commands, in order; only a lone answer is published inline (a batch would run
    /// its callers one after another on this thread).</summary>
    private static void Publish((PendingCommand? First, PendingCommand[]? More) answered, bool inline)
    {
        answered.First?.Publish(inline && answered.More is null);
        if (answered.More is { } more)
        {
            foreach (var command in more)
            {
                command.Publish(inline: false);
            }
        }
    }

    /// <summary>Awaits a pending receive; when it is not complete yet, registers the loop's continuation first and then
    /// publishes the answered commands on this thread, which the loop has left.</summary>
    private struct PublishWhenPending(ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter receive, (PendingCommand? First, PendingCommand[]? More) answered) : ICriticalNotifyCompletion
    {
        private (PendingCommand? First, PendingCommand[]? More) _answered = answered;

        public readonly bool IsCompleted => receive.IsCompleted;

        public readonly PublishWhenPending GetAwaiter() => this;

        public int GetResult()
        {
            // Completed before it was awaited: nothing was published yet, and the loop goes on on this thread. After a
            // suspension this may be a copy taken before UnsafeOnCompleted emptied its own (the compiler stores the awaiter
            // before it registers): publishing is idempotent (TrySet*), so the second call only finds the tasks done.
            Publish(Take(), inline: false);
            return receive.GetResult();
        }

        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        public void UnsafeOnCompleted(Action continuation)
        {
            var answered = Take();
            receive.UnsafeOnCompleted(continuation);
            Publish(answered, inline: true);
        }

        private (PendingCommand? First, PendingCommand[]? More) Take()
        {
            var answered = _answered;
            _answered = default;
            return answered;
        }
    }

    private void OnGreeting(QmpGreeting greeting)
    {
        bool queued;
        lock (_lock)
        {
            if (_terminated)
            {
                return;
            }

            queued = SetStateLocked(QmpState.Negotiating);
        }

        RaiseStateChanges(queued);
        Log.GreetingReceived(_logger, _endpoint, greeting.Version, string.Join(", ", greeting.Capabilities));
        _greetingReceived.TrySetResult(greeting);
    }

    /// <summary>No command is live any more (answered, or cancelled before it was written): Busy becomes Idle, and a
    /// graceful disconnect may go on. Called by the core with no lock held; the count may have risen again meanwhile.</summary>
    private void OnNoCommandsLive()
    {
        bool queued = false;
        lock (_lock)
        {
            if (_terminated || _protocol.LiveCount != 0)
            {
                return;
            }

            if (_state == QmpState.Busy)
            {
                queued = SetStateLocked(QmpState.Idle);
            }
            else if (_state == QmpState.Closing)
            {
                _drained?.TrySetResult();
            }
        }

        RaiseStateChanges(queued);
    }

    /// <summary>Changes the state; returns whether the change was queued for the listener. Caller holds the lock.</summary>
    private bool SetStateLocked(QmpState state)
    {
        if (_state == state)
        {
            return false;
        }

        var old = _state;
        _state = state;
        if (!_listener.WantsStateChanges)
        {
            return false;
        }

        _stateChanges.Enqueue((old, state));
        return true;
    }

    /// <summary>Reports queued state changes to the listener, in order, with no lock held. One thread reports at a time: a
    /// thread that changes the state while another is reporting leaves its change to that one and returns at once, so a
    /// handler may wait for another thread that uses the client.</summary>
    /// <param name="queued">Whether the caller queued a change (nothing to do otherwise).</param>
    private void RaiseStateChanges(bool queued)
    {
        if (!queued)
        {
            return;
        }

        lock (_lock)
        {
            if (_notifying || _stateChanges.Count == 0)
            {
                return;
            }

            _notifying = true;
        }

        while (true)
        {
            (QmpState Old, QmpState New) change;
            lock (_lock)
            {
                if (!_stateChanges.TryDequeue(out change))
                {
                    _notifying = false;
                    return;
                }
            }

            _listener.OnStateChanged(change.Old, change.New);
        }
    }

    /// <summary>Receives the core's reports; the core knows this as an <see cref="IProtocolObserver"/>.</summary>
    private sealed class Observer(QmpConnection connection) : IProtocolObserver
    {
        public void OnGreeting(QmpGreeting greeting) => connection.OnGreeting(greeting);

        public void OnNoCommandsLive() => connection.OnNoCommandsLive();

        public void OnWriteNeeded() => connection.ScheduleWrite();

        public void OnTransactionTimeout(QmpCommunicationException timeout) => connection.Break(timeout);
    }
}
