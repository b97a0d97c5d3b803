namespace Qmp.Net.Internal;

/// <summary>Every command between its call and its outcome: the send queue, the out-of-band queue, the in-band in-flight
/// FIFO, the out-of-band commands by id, the in-band window, and the one count of live commands.</summary>
/// <remarks>
/// <para>Thread-safe with its own lock, which it never holds while it calls out (commands are completed, and the
/// <c>onNoneLive</c> callback runs, outside it). A command is <em>live</em> from <see cref="Add"/> until it is answered or
/// cancelled before it was written; a command cancelled after it was written stays live (and in the FIFO) until its answer
/// arrives and is dropped, so later answers still line up.</para>
/// </remarks>
internal sealed class PendingCommandTable : ICommandOwner
{
    /// <summary>QEMU's in-band read-ahead queue length (QMP_REQ_QUEUE_LEN_MAX): with <c>oob</c> negotiated, at most this many
    /// in-band commands are written and unanswered at once.</summary>
    internal const int OobReadAheadLimit = 8;

    private readonly object _lock = new();
    private readonly Queue<PendingCommand> _sendQueue = new();
    private readonly Queue<PendingCommand> _oobQueue = new();
    private readonly Queue<PendingCommand> _inFlight = new();
    private readonly Dictionary<long, PendingCommand> _oobInFlight = [];
    private readonly Action? _onNoneLive;
    private readonly TransactionTimer? _timer;
    private int _live;
    private int _window = int.MaxValue;
    private int _answersNotFollowedUp;
    private bool _quitWritten;
    private bool _closed;

    /// <param name="onNoneLive">Called, outside the lock, when the live count drops to zero.</param>
    /// <param name="timer">The transaction timer: the table is the one place that knows whether an answer is expected, so it
    /// starts and stops the timer under its own lock (the timer's lock nests inside it, never the other way round).</param>
    public PendingCommandTable(Action? onNoneLive = null, TransactionTimer? timer = null)
    {
        _onNoneLive = onNoneLive;
        _timer = timer;
    }

    /// <summary>How <see cref="Add"/> went.</summary>
    public enum AddOutcome
    {
        /// <summary>The command is queued and live.</summary>
        Accepted,

        /// <summary>The table is closed: the command was not taken.</summary>
        Closed,

        /// <summary>The caller cancelled first: nothing to send, nothing counted.</summary>
        Cancelled,
    }

    /// <summary>Gets the number of live commands.</summary>
    public int LiveCount
    {
        get
        {
            lock (_lock)
            {
                return _live;
            }
        }
    }

    /// <summary>Gets a value indicating whether <c>quit</c> has been written.</summary>
    public bool QuitWritten
    {
        get
        {
            lock (_lock)
            {
                return _quitWritten;
            }
        }
    }

    /// <summary>Gets the number of in-band commands written and not answered.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>Sets the in-band window: <see cref="OobReadAheadLimit"/> with <c>oob</c>, unlimited without.</summary>
    public void SetWindow(int window)
    {
        lock (_lock)
        {
            _window = window;
        }
    }

    /// <summary>Queues a command. <paramref name="writeInline"/> tells whether the caller should write at once: false for an
    /// in-band command issued in reply to an answer while others are in flight (the server is busy anyway; it joins the next
    /// coalesced send).</summary>
    public AddOutcome Add(PendingCommand command, out bool writeInline)
    {
        writeInline = false;

        // Before the stage is read: a cancellation that comes after this finds the table to tell.
        command.Owner ??= this;
        lock (_lock)
        {
            if (_closed)
            {
                return AddOutcome.Closed;
            }

            if (command.Stage != PendingCommand.Queued)
            {
                return AddOutcome.Cancelled;
            }

            var followsAnswer = _answersNotFollowedUp > 0;
            if (followsAnswer)
            {
                _answersNotFollowedUp--;
            }

            writeInline = !followsAnswer || command.IsOob || _inFlight.Count == 0;
            (command.IsOob ? _oobQueue : _sendQueue).Enqueue(command);
            command.Live = true;
            _live++;
            return AddOutcome.Accepted;
        }
    }

    /// <summary>Moves what may be written now from the queues to in flight, into <paramref name="batch"/> (cleared first):
    /// out-of-band commands first, then in-band ones as far as the window allows. Commands cancelled in the queue are
    /// dropped here.</summary>
    /// <returns>Whether anything is to be written.</returns>
    public bool TakeBatch(List<PendingCommand> batch)
    {
        batch.Clear();
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            // A command with file descriptors goes alone: nothing before it in the same send, nothing after it.
            var alone = false;
            while (!alone && _oobQueue.TryPeek(out var next))
            {
                if (next.Descriptors is not null && batch.Count > 0)
                {
                    alone = true;
                    break;
                }

                var command = _oobQueue.Dequeue();
                if (command.TryMarkWritten())
                {
                    _oobInFlight[command.Id] = command;
                    batch.Add(command);
                    alone = command.Descriptors is not null;
                }
            }

            while (!alone && _inFlight.Count < _window && _sendQueue.TryPeek(out var next))
            {
                if (next.Descriptors is not null && batch.Count > 0)
                {
                    break;
                }

                var command = _sendQueue.Dequeue();
                if (command.TryMarkWritten())
                {
                    _inFlight.Enqueue(command);
                    batch.Add(command);
                    alone = command.Descriptors is not null;
                    if (command.Command == "quit")
                    {
                        _quitWritten = true;
                    }
                }
            }

            if (batch.Count == 0)
            {
                // Nothing went in flight: whether an answer is expected has not changed.
                return false;
            }

            _timer?.Start();
            return true;
        }
    }

    /// <summary>Gets a value indicating whether <see cref="TakeBatch"/> may find something to write.</summary>
    public bool HasWritable
    {
        get
        {
            lock (_lock)
            {
                return !_closed && (_oobQueue.Count > 0 || (_sendQueue.Count > 0 && _inFlight.Count < _window));
            }
        }
    }

    /// <summary>Takes the command a response answers, applying the matching rules of docs/protocol.md.</summary>
    /// <param name="id">The response's id as a number, when it has one that is a 64-bit integer.</param>
    /// <param name="hasId">Whether the response has an id at all.</param>
    /// <param name="isReturn">Whether it is a <c>return</c> (else an <c>error</c>).</param>
    /// <param name="sendIds">Whether in-band commands carry ids.</param>
    /// <param name="errorWithoutId">An error without an id completed the in-band head while ids are sent.</param>
    /// <param name="writeNeeded">The window has room again and commands wait.</param>
    /// <returns>The command, no longer in the table.</returns>
    /// <exception cref="QmpCommunicationException">The response matches nothing it may match.</exception>
    public PendingCommand TakeAnswered(long? id, bool hasId, bool isReturn, bool sendIds, out bool errorWithoutId, out bool writeNeeded)
    {
        errorWithoutId = false;
        writeNeeded = false;
        PendingCommand command;
        bool noneLive;
        lock (_lock)
        {
            if (id is { } numeric && _oobInFlight.Remove(numeric, out var oob))
            {
                command = oob;
            }
            else if (!_inFlight.TryPeek(out var head))
            {
                throw _oobInFlight.Count == 0 ? ExceptionFactory.UnexpectedReceive() : ExceptionFactory.UnmatchedId();
            }
            else
            {
                if (sendIds)
                {
                    if (!hasId)
                    {
                        if (isReturn)
                        {
                            throw ExceptionFactory.MissingId(head.Command);
                        }

                        errorWithoutId = true;
                    }
                    else if (id != head.Id)
                    {
                        throw ExceptionFactory.WrongId(head.Command);
                    }
                }
                else if (hasId)
                {
                    throw ExceptionFactory.UnmatchedId();
                }

                command = _inFlight.Dequeue();
                _answersNotFollowedUp++;
                writeNeeded = _sendQueue.Count > 0 && _inFlight.Count < _window;
            }

            noneLive = Finish(command);
            _timer?.Update(_inFlight.Count + _oobInFlight.Count > 0);
        }

        if (noneLive)
        {
            _onNoneLive?.Invoke();
        }

        return command;
    }

    /// <summary>The connection closed after <c>quit</c> was written: takes the <c>quit</c> still waiting for its answer at the
    /// head of the FIFO (QEMU may exit before its answer is read), if there is one.</summary>
    public PendingCommand? TakeUnansweredQuit()
    {
        lock (_lock)
        {
            if (!_quitWritten || !_inFlight.TryPeek(out var head) || head.Command != "quit")
            {
                return null;
            }

            _inFlight.Dequeue();
            Finish(head);
            return head;
        }
    }

    /// <summary>Closes the table (nothing more is accepted or written) and fails every command it held. Idempotent.</summary>
    /// <returns>How many commands were failed.</returns>
    public int FailAll(Exception exception)
    {
        PendingCommand[] all;
        lock (_lock)
        {
            if (_closed)
            {
                return 0;
            }

            _closed = true;
            _timer?.Stop();
            all = [.. _inFlight, .. _oobInFlight.Values, .. _oobQueue, .. _sendQueue];
            _inFlight.Clear();
            _oobInFlight.Clear();
            _oobQueue.Clear();
            _sendQueue.Clear();
            _live = 0;
        }

        foreach (var command in all)
        {
            command.Live = false;
            command.Fail(exception);
        }

        return all.Length;
    }

    void ICommandOwner.OnCancelledBeforeWrite(PendingCommand command)
    {
        bool noneLive;
        lock (_lock)
        {
            if (_closed || !command.Live)
            {
                return;
            }

            // The entry stays in its queue; TakeBatch drops it. Only the count of live commands changes.
            noneLive = Finish(command);
        }

        if (noneLive)
        {
            _onNoneLive?.Invoke();
        }
    }

    /// <summary>The command leaves the live set. Caller holds the lock.</summary>
    private bool Finish(PendingCommand command)
    {
        if (!command.Live)
        {
            return false;
        }

        command.Live = false;
        return --_live == 0;
    }
}
