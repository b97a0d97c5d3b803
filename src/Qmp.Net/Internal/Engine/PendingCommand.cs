using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Internal;

/// <summary>A command handed to the client: its encoded bytes, where it is in its life, and the task its caller awaits.</summary>
internal abstract class PendingCommand
{
    internal const int Queued = 0;
    internal const int Written = 1;
    internal const int CancelledBeforeWrite = 2;

    private int _stage;
    private int _decided;
    private CancellationTokenRegistration _registration;
    private ICommandOwner? _owner;
    private Exception? _error;
    private CancellationToken? _cancelledBy;

    protected PendingCommand(ICommandOwner? owner, string command, byte[] payload, long id, bool isOob)
    {
        _owner = owner;
        Command = command;
        Payload = payload;
        Id = id;
        IsOob = isOob;
    }

    /// <summary>Gets or sets the table that holds the command (an engine interface: a command never refers to the client);
    /// set by the table when the command is submitted, before it looks at the command's stage.</summary>
    public ICommandOwner? Owner
    {
        get => Volatile.Read(ref _owner);
        set => Volatile.Write(ref _owner, value);
    }

    public string Command { get; }

    /// <summary>The exact bytes to write: one compact JSON object, nothing after its closing brace.</summary>
    public byte[] Payload { get; }

    /// <summary>The id sent with the command, or 0 when it was sent without one.</summary>
    public long Id { get; }

    public bool IsOob { get; }

    /// <summary>Gets or sets the file descriptors sent with the command (set before it is queued), or <see langword="null"/>.
    /// A command with descriptors is written alone, never coalesced with another, so they arrive with its bytes.</summary>
    public DescriptorLease? Descriptors { get; set; }

    /// <summary>Gets or sets a value indicating whether the command counts among the live ones (guarded by its owner's lock).</summary>
    public bool Live { get; set; }

    public abstract Task Task { get; }

    public int Stage => Volatile.Read(ref _stage);

    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingCommand)state!).OnCancellationRequested(token), this);
        }
    }

    /// <summary>Disposes the cancellation registration without completing the task (the command was never accepted).</summary>
    public void ReleaseRegistration() => _registration.Unregister();

    /// <summary>Moves the command from the queue to the wire; false when its caller cancelled it first.</summary>
    public bool TryMarkWritten() => Interlocked.CompareExchange(ref _stage, Written, Queued) == Queued;

    /// <summary>Gets a value indicating whether the outcome is decided (answered, failed or cancelled); a later outcome is
    /// dropped.</summary>
    public bool IsDecided => Volatile.Read(ref _decided) != 0;

    /// <summary>Decides the outcome from the <c>return</c> value's bytes (read now: the bytes are valid only during the
    /// call) and, with <paramref name="publish"/>, publishes it at once (<see cref="Publish(bool)"/>, not inline).</summary>
    /// <returns>False when the outcome was decided before (the caller cancelled): the answer is dropped.</returns>
    public bool Complete(ReadOnlySpan<byte> returnValue, bool publish = true)
    {
        if (!TryDecide())
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(returnValue, new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
            reader.Read();
            StoreResult(ref reader);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the result type's deserialization throws (a converter, a constructor or setter that validates)
            // fails this command only: the command has left the queues, so an escaping exception would leave its task
            // unfinished and break the connection.
            _error = new JsonException($"The result of QMP command '{Command}' could not be read as the requested type: {e.Message}", e);
        }
        finally
        {
            _registration.Unregister();
        }

        if (publish)
        {
            Publish(inline: false);
        }

        return true;
    }

    /// <summary>Decides that the command failed and, with <paramref name="publish"/>, publishes it at once (not inline).</summary>
    /// <returns>False when the outcome was decided before.</returns>
    public bool Fail(Exception exception, bool publish = true)
    {
        if (!TryDecide())
        {
            return false;
        }

        _error = exception;
        _registration.Unregister();
        if (publish)
        {
            Publish(inline: false);
        }

        return true;
    }

    /// <summary>Completes the caller's task with the decided outcome. <paramref name="inline"/>: the caller's continuation
    /// may run on this thread, now (the read loop does this only once its next receive is pending, so the loop is not
    /// on this thread any more). Otherwise the task's state is set now and continuations that <c>await</c> it are queued
    /// to the thread pool, as <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/> would.</summary>
    public void Publish(bool inline)
    {
        if (Task.IsCompleted)
        {
            return;
        }

        if (inline)
        {
            SetOutcome();
            return;
        }

        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(NoInlineContext.Instance);
        try
        {
            SetOutcome();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>Reads and keeps the result (the outcome is decided).</summary>
    protected abstract void StoreResult(ref Utf8JsonReader reader);

    /// <summary>Sets the task from the decided outcome: <see cref="Error"/>, <see cref="CancelledBy"/> or the stored result.</summary>
    protected abstract void SetOutcome();

    /// <summary>Gets the decided failure, if the outcome is one.</summary>
    protected Exception? Error => _error;

    /// <summary>Gets the token that cancelled the command, if the outcome is a cancellation.</summary>
    protected CancellationToken? CancelledBy => _cancelledBy;

    private bool TryDecide() => Interlocked.Exchange(ref _decided, 1) == 0;

    private void OnCancellationRequested(CancellationToken token)
    {
        var beforeWrite = Interlocked.CompareExchange(ref _stage, CancelledBeforeWrite, Queued) == Queued;
        if (TryDecide())
        {
            // Before the write nothing was sent; after it the caller stops waiting, and the response is still consumed in
            // order and dropped.
            _cancelledBy = token;
            Publish(inline: false);
        }

        if (beforeWrite)
        {
            // No owner yet: the table has not looked at the stage, and will find the command cancelled.
            Owner?.OnCancelledBeforeWrite(this);
        }
    }

    /// <summary>A context under which a completing task queues its <c>await</c> continuations instead of running them
    /// inline: the runtime inlines a continuation only where the current context is the default one.</summary>
    private sealed class NoInlineContext : SynchronizationContext
    {
        public static readonly NoInlineContext Instance = new();
    }
}

internal sealed class PendingCommand<T> : PendingCommand
{
    // Without RunContinuationsAsynchronously: whoever publishes decides where the continuations run (see Publish).
    private readonly TaskCompletionSource<T> _completion = new();
    private readonly JsonTypeInfo<T>? _resultType;
    private T? _value;

    public PendingCommand(ICommandOwner? owner, string command, byte[] payload, long id, bool isOob, JsonTypeInfo<T>? resultType)
        : base(owner, command, payload, id, isOob)
    {
        _resultType = resultType;
    }

    /// <summary>A command whose owner is set when it is submitted.</summary>
    public PendingCommand(string command, byte[] payload, long id, bool isOob, JsonTypeInfo<T>? resultType)
        : base(null, command, payload, id, isOob)
    {
        _resultType = resultType;
    }

    public override Task Task => _completion.Task;

    public Task<T> TypedTask => _completion.Task;

    protected override void StoreResult(ref Utf8JsonReader reader)
    {
        _value = _resultType is null ? (T)(object)JsonElement.ParseValue(ref reader) : JsonSerializer.Deserialize(ref reader, _resultType)!;
    }

    protected override void SetOutcome()
    {
        if (Error is { } error)
        {
            _completion.TrySetException(error);
        }
        else if (CancelledBy is { } token)
        {
            _completion.TrySetCanceled(token);
        }
        else
        {
            _completion.TrySetResult(_value!);
        }
    }
}
