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
    private CancellationTokenRegistration _registration;
    private ICommandOwner? _owner;

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

    /// <summary>Completes the caller's task from the <c>return</c> value's bytes.</summary>
    public void Complete(ReadOnlySpan<byte> returnValue)
    {
        try
        {
            var reader = new Utf8JsonReader(returnValue, new JsonReaderOptions { MaxDepth = MessageReader.MaxDepth });
            reader.Read();
            SetResult(ref reader);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the result type's deserialization throws (a converter, a constructor or setter that validates)
            // fails this command only: the command has left the queues, so an escaping exception would leave its task
            // unfinished and break the connection.
            SetException(new JsonException($"The result of QMP command '{Command}' could not be read as the requested type: {e.Message}", e));
        }
        finally
        {
            _registration.Unregister();
        }
    }

    public void Fail(Exception exception)
    {
        SetException(exception);
        _registration.Unregister();
    }

    protected abstract void SetResult(ref Utf8JsonReader reader);

    protected abstract void SetException(Exception exception);

    protected abstract void SetCanceled(CancellationToken cancellationToken);

    private void OnCancellationRequested(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _stage, CancelledBeforeWrite, Queued) == Queued)
        {
            SetCanceled(token);

            // No owner yet: the table has not looked at the stage, and will find the command cancelled.
            Owner?.OnCancelledBeforeWrite(this);
        }
        else
        {
            // Already written: the caller stops waiting, the response is still consumed in order and dropped.
            SetCanceled(token);
        }
    }
}

internal sealed class PendingCommand<T> : PendingCommand
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly JsonTypeInfo<T>? _resultType;

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

    protected override void SetResult(ref Utf8JsonReader reader)
    {
        if (_completion.Task.IsCompleted)
        {
            return;
        }

        T value;
        if (_resultType is null)
        {
            value = (T)(object)JsonElement.ParseValue(ref reader);
        }
        else
        {
            value = JsonSerializer.Deserialize(ref reader, _resultType)!;
        }

        _completion.TrySetResult(value);
    }

    protected override void SetException(Exception exception) => _completion.TrySetException(exception);

    protected override void SetCanceled(CancellationToken cancellationToken) => _completion.TrySetCanceled(cancellationToken);
}
