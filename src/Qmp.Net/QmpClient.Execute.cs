using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Qmp.Net.Internal;

namespace Qmp.Net;

public sealed partial class QmpClient
{
    /// <summary>Executes a command and returns its result.</summary>
    /// <param name="command">The command name, e.g. <c>query-status</c>.</param>
    /// <param name="arguments">The arguments: <see langword="null"/> for none, or a JSON object as a <see cref="JsonElement"/>,
    /// <see cref="System.Text.Json.Nodes.JsonNode"/>, <see cref="JsonDocument"/>, dictionary, anonymous object or record
    /// (serialized with <see cref="QmpClientOptions.SerializerOptions"/>: kebab-case names by default).</param>
    /// <param name="cancellationToken">Cancels the wait. Before the command is written, nothing of it is sent; after, the
    /// command may still take effect in the server, and its response is consumed and dropped.</param>
    /// <returns>The <c>return</c> value (an empty object for commands without data).</returns>
    /// <exception cref="ArgumentException"><paramref name="command"/> is empty, or the arguments are not a JSON object of valid Unicode text.</exception>
    /// <exception cref="InvalidOperationException">The client has not connected yet.</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpCommunicationException">The connection broke before the answer arrived.</exception>
    /// <exception cref="QmpConnectionClosedException">The connection ended (or was closing) before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JsonElement> ExecuteAsync(string command, object? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return Send<JsonElement>(command, arguments, oob: false, null, cancellationToken);
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
        return Send(command, arguments, oob: false, (JsonTypeInfo<TResult>)_json.GetTypeInfo(typeof(TResult)), cancellationToken);
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
        ExecuteChecks.Typed(command, resultTypeInfo);
        return Send(command, arguments, oob: false, resultTypeInfo, cancellationToken);
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
        ExecuteChecks.Typed(command, argumentsTypeInfo, resultTypeInfo);
        var id = NextInBandId();
        return Enqueue(command, CommandEncoder.Encode(command, false, id, arguments, argumentsTypeInfo), id, false, resultTypeInfo, cancellationToken);
    }

    /// <summary>Executes a command with file descriptors attached (<c>SCM_RIGHTS</c>), for the commands that take them:
    /// <c>getfd</c> (then a chardev, netdev or migration uses the descriptor by its <c>fdname</c>) and <c>add-fd</c> (then
    /// <c>/dev/fdset/N</c> paths use it), so that QEMU needs no privilege to open the file, socket or device itself.</summary>
    /// <param name="command">The command name, e.g. <c>add-fd</c> or <c>getfd</c>.</param>
    /// <param name="arguments">The arguments, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <param name="fileDescriptors">The descriptors to pass, 1 to 16: a <see cref="Microsoft.Win32.SafeHandles.SafeFileHandle"/>
    /// (<see cref="File.OpenHandle(string, FileMode, FileAccess, FileShare, FileOptions, long)"/>, <see cref="FileStream.SafeFileHandle"/>),
    /// a socket's <see cref="System.Net.Sockets.Socket.SafeHandle"/>, or any other handle of a descriptor.</param>
    /// <param name="cancellationToken">Cancels the wait, as for <see cref="ExecuteAsync(string, object?, CancellationToken)"/>.</param>
    /// <returns>The <c>return</c> value.</returns>
    /// <remarks>
    /// <para>The descriptors travel with this command's own bytes: a command with descriptors is written alone, never
    /// coalesced or pipelined into one send with another, and they are attached to its first byte, so QEMU holds them when
    /// it reads this command and no other. QEMU receives duplicates; the caller's handles stay the caller's, to dispose
    /// when it likes (Qmp.Net references them until the command has ended, so disposing early closes nothing under the
    /// writer, and it never closes them). A command cancelled before it was written sends nothing.</para>
    /// <para>Unix domain sockets on Linux only; other endpoints (TCP, TLS) throw <see cref="NotSupportedException"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="command"/> is empty, the arguments are not a JSON object, or a
    /// descriptor is null, invalid or closed, or there are none or more than 16.</exception>
    /// <exception cref="NotSupportedException">The client's endpoint is not a Unix domain socket, or the platform is not Linux.</exception>
    /// <exception cref="InvalidOperationException">The client has not connected yet.</exception>
    /// <exception cref="QmpErrorException">The server answered with an error.</exception>
    /// <exception cref="QmpException">The connection broke or ended before the answer arrived.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<JsonElement> ExecuteAsync(string command, object? arguments, IReadOnlyList<System.Runtime.InteropServices.SafeHandle> fileDescriptors, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(fileDescriptors);
        if (Endpoint is not QmpUnixEndpoint || !UnixFdPassing.IsSupported)
        {
            throw new NotSupportedException($"File descriptors can be passed only over a Unix domain socket on Linux; this client's endpoint is {Endpoint}.");
        }

        var id = NextInBandId();
        var payload = CommandEncoder.Encode(command, false, id, arguments, _json);
        var lease = DescriptorLease.Acquire(fileDescriptors, nameof(fileDescriptors));
        try
        {
            return Enqueue<JsonElement>(command, payload, id, false, null, cancellationToken, descriptors: lease);
        }
        catch
        {
            lease.Release();
            throw;
        }
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
        return Send<JsonElement>(command, arguments, oob: true, null, cancellationToken);
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
        ExecuteChecks.Typed(command, resultTypeInfo);
        ThrowIfOobUnavailable();
        return Send(command, arguments, oob: true, resultTypeInfo, cancellationToken);
    }

    private long NextInBandId() => _connection.Protocol.NextId(oob: false);

    /// <summary>Takes the next id, encodes the command with the client's serializer options and enqueues it.</summary>
    private Task<T> Send<T>(string command, object? arguments, bool oob, JsonTypeInfo<T>? resultType, CancellationToken cancellationToken)
    {
        var id = _connection.Protocol.NextId(oob);
        return Enqueue(command, CommandEncoder.Encode(command, oob, id, arguments, _json), id, oob, resultType, cancellationToken);
    }

    private void ThrowIfOobUnavailable() => _connection.ThrowIfOobUnavailable();

    private Task<T> Enqueue<T>(string command, byte[] payload, long id, bool oob, JsonTypeInfo<T>? resultType, CancellationToken cancellationToken, bool negotiation = false, DescriptorLease? descriptors = null)
    {
        if (negotiation || !Telemetry.CommandsObserved)
        {
            return EnqueueCore(command, payload, id, oob, resultType, negotiation, descriptors, cancellationToken);
        }

        // Measured and traced only while somebody listens (docs/observability.md).
        var tracker = Telemetry.StartCommand(command, Endpoint, oob);
        Task<T> task;
        try
        {
            task = EnqueueCore(command, payload, id, oob, resultType, negotiation, descriptors, cancellationToken);
        }
        catch (Exception e)
        {
            tracker.Finish(Task.FromException(e));
            throw;
        }

        _connection.Protocol.TrackActivity(tracker.Activity);
        return TrackAsync(task, tracker);
    }

    /// <summary>Records the command's outcome before its caller sees it, so a caller that reads the metrics after its
    /// await finds its own command in them.</summary>
    private async Task<T> TrackAsync<T>(Task<T> task, Telemetry.CommandTracker tracker)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        finally
        {
            _connection.Protocol.UntrackActivity(tracker.Activity);
            tracker.Finish(task);
        }
    }

    private Task<T> EnqueueCore<T>(string command, byte[] payload, long id, bool oob, JsonTypeInfo<T>? resultType, bool negotiation, DescriptorLease? descriptors, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            descriptors?.Release();
            return Task.FromCanceled<T>(cancellationToken);
        }

        var pending = new PendingCommand<T>(command, payload, id, oob, resultType) { Descriptors = descriptors };
        if (descriptors is not null)
        {
            // The command holds the descriptors until its task ends, however it ends.
            _ = pending.Task.ContinueWith(static (_, lease) => ((DescriptorLease)lease!).Release(), descriptors, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        // Registered before the command is published, so that whatever ends it (an answer, the end of the connection)
        // finds the registration to dispose.
        pending.RegisterCancellation(cancellationToken);
        _connection.Submit(pending, negotiation);
        return pending.TypedTask;
    }
}
