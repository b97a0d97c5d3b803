using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Qmp.Net.Internal;

namespace Qmp.Net.Testing;

public sealed partial class QmpTestServer
{
    /// <summary>An input the server answers in order: a command, or an input QEMU would refuse before dispatching it.</summary>
    /// <param name="Command">The command, or <see langword="null"/> for input refused before dispatch.</param>
    /// <param name="ErrorDescription">Why the input was refused, when it was.</param>
    /// <param name="Id">The id to echo in the answer.</param>
    /// <param name="CloseAfter">Whether the connection closes once the answer is written.</param>
    private readonly record struct Request(ReceivedCommand? Command, string? ErrorDescription, JsonElement? Id, bool CloseAfter = false);

    /// <summary>One accepted client: a read loop that frames and records commands, an in-band worker that answers them in
    /// order, out-of-band commands answered at once, and one write lock so messages never interleave.</summary>
    private sealed class Connection(QmpTestServer server, Socket socket, int number)
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly Channel<Request> _inBand = Channel.CreateUnbounded<Request>(new() { SingleReader = true, SingleWriter = true });
        private readonly List<Task> _oobTasks = [];
        private int _closed;
        private int _receiveShutDown;

        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        public bool Negotiated { get; private set; }

        public IReadOnlyList<string> Enabled { get; private set; } = [];

        public async Task RunAsync()
        {
            var worker = Task.CompletedTask;
            try
            {
                if (server.Options.SendGreeting)
                {
                    await SendAsync(server.BuildGreeting(), _cts.Token).ConfigureAwait(false);
                }

                // The in-band answerer runs on the thread pool: when the accept completed synchronously this may still be
                // the thread that started the server, under its SynchronizationContext.
                worker = Task.Run(AnswerInBandAsync, CancellationToken.None);
                await ReadLoopAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The client went away or the server is stopping; nothing here may escape to the accept loop.
            }
            finally
            {
                Close(reset: false);
                _inBand.Writer.TryComplete();
                await worker.ConfigureAwait(false);
                Task[] oob;
                lock (_oobTasks)
                {
                    oob = [.. _oobTasks];
                }

                await Task.WhenAll(oob).ConfigureAwait(false);
                Closed.TrySetResult();
            }
        }

        public void Close(bool reset)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            _cts.Cancel();
            try
            {
                if (reset)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                else
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }

            socket.Dispose();
        }

        public void ShutDownReceive()
        {
            Volatile.Write(ref _receiveShutDown, 1);
            try
            {
                socket.Shutdown(SocketShutdown.Receive);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }

        public async Task CloseAtBoundaryAsync(CancellationToken cancellationToken)
        {
            if (IsClosed)
            {
                return;
            }

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Close(reset: false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public async Task SendOrThrowAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            try
            {
                await SendAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                throw new InvalidOperationException("The client is no longer connected to the QMP test server.", e);
            }
        }

        /// <summary>Writes a message, or part of one; failures end the connection and are not reported.</summary>
        public async Task SendQuietlyAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            try
            {
                await SendAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
            {
                Close(reset: false);
            }
        }

        private async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(IsClosed, socket);
                var chunk = server.WriteChunkSize;
                if (chunk <= 0 || chunk >= message.Length)
                {
                    await SendAllAsync(message).ConfigureAwait(false);
                    return;
                }

                for (var offset = 0; offset < message.Length; offset += chunk)
                {
                    await SendAllAsync(message.Slice(offset, Math.Min(chunk, message.Length - offset))).ConfigureAwait(false);

                    // Give the client a chance to read this piece on its own. ForceYielding continues on the thread pool,
                    // not on the caller's SynchronizationContext (Task.Yield would post to it).
                    await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }

        private async Task SendAllAsync(ReadOnlyMemory<byte> data)
        {
            while (!data.IsEmpty)
            {
                var sent = await socket.SendAsync(data, SocketFlags.None, _cts.Token).ConfigureAwait(false);
                data = data[sent..];
            }
        }

        private async Task ReadLoopAsync()
        {
            var framer = new CommandFramer(server.Options.MaxCommandBytes);
            while (true)
            {
                var received = await socket.ReceiveAsync(framer.GetReceiveBuffer(), SocketFlags.None, _cts.Token).ConfigureAwait(false);
                if (received == 0)
                {
                    if (Volatile.Read(ref _receiveShutDown) != 0)
                    {
                        // The server stopped receiving on purpose: the connection stays open for writing until closed.
                        await Task.Delay(Timeout.Infinite, _cts.Token).ConfigureAwait(false);
                    }

                    return;
                }

                Interlocked.Add(ref server._bytesReceived, received);
                framer.Advance(received);
                FrameKind kind;
                while ((kind = framer.TryRead(out var raw)) != FrameKind.NeedMore)
                {
                    if (kind == FrameKind.TooLong)
                    {
                        // The rest of the command is still coming, and nothing tells where the next one starts: answer (in
                        // order, after what is queued) and end the connection once the answer is out.
                        _inBand.Writer.TryWrite(new Request(null, $"QMP input exceeds the test server's limit of {framer.MaxMessageBytes} bytes", null, CloseAfter: true));
                        await Task.Delay(Timeout.Infinite, _cts.Token).ConfigureAwait(false);
                        return;
                    }

                    Dispatch(raw, kind == FrameKind.Message);
                }
            }
        }

        private void Dispatch(byte[] raw, bool valid)
        {
            if (!valid)
            {
                _inBand.Writer.TryWrite(new Request(null, "JSON parse error", null));
                return;
            }

            JsonElement root;
            try
            {
                root = JsonDocument.Parse(raw).RootElement;
            }
            catch (JsonException)
            {
                _inBand.Writer.TryWrite(new Request(null, "JSON parse error", null));
                return;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                _inBand.Writer.TryWrite(new Request(null, "QMP input must be a JSON object", null));
                return;
            }

            JsonElement? id = root.TryGetProperty("id", out var idValue) ? idValue : null;
            string? execute = null, execOob = null, problem = null;
            var arguments = QmpJson.EmptyObject;
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "execute" or "exec-oob" when member.Value.ValueKind != JsonValueKind.String:
                        problem ??= $"QMP input member '{member.Name}' must be a string";
                        break;
                    case "execute":
                        execute = member.Value.GetString();
                        break;
                    case "exec-oob":
                        execOob = member.Value.GetString();
                        break;
                    case "arguments" when member.Value.ValueKind != JsonValueKind.Object:
                        problem ??= "QMP input member 'arguments' must be an object";
                        break;
                    case "arguments":
                        arguments = member.Value;
                        break;
                    case "id":
                        break;
                    default:
                        problem ??= $"QMP input member '{member.Name}' is unexpected";
                        break;
                }
            }

            if (problem is null && execute is not null && execOob is not null)
            {
                problem = "QMP input must not contain both 'execute' and 'exec-oob'";
            }
            else if (problem is null && execute is null && execOob is null)
            {
                problem = "QMP input lacks member 'execute'";
            }

            if (problem is not null)
            {
                _inBand.Writer.TryWrite(new Request(null, problem, id));
                return;
            }

            var isOob = execOob is not null;
            var command = server.Record(number, (execute ?? execOob)!, arguments, id, raw, isOob);
            if (isOob && !Enabled.Contains("oob"))
            {
                _inBand.Writer.TryWrite(new Request(null, "QMP input member 'exec-oob' is unexpected", id));
            }
            else if (isOob)
            {
                // Out of band: answered at once, past any in-band command still running or held. The handler (user code)
                // and the write start outside the lock; only the bookkeeping is under it.
                var answer = AnswerAsync(new Request(command, null, id), held: false);
                lock (_oobTasks)
                {
                    _oobTasks.Add(answer);
                }
            }
            else
            {
                _inBand.Writer.TryWrite(new Request(command, null, id));
            }
        }

        private async Task AnswerInBandAsync()
        {
            try
            {
                await foreach (var request in _inBand.Reader.ReadAllAsync(_cts.Token).ConfigureAwait(false))
                {
                    await AnswerAsync(request, held: true).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The connection ended.
            }
        }

        private async Task AnswerAsync(Request request, bool held)
        {
            try
            {
                var (reply, exit) = await ReplyToAsync(request).ConfigureAwait(false);
                if (reply is null)
                {
                    return;
                }

                if (held && Volatile.Read(ref server._gate) is { } gate)
                {
                    await gate.WaitAsync(_cts.Token).ConfigureAwait(false);
                }

                await SendQuietlyAsync(reply, _cts.Token).ConfigureAwait(false);
                if (exit)
                {
                    server.StopListening();
                }

                if (exit || request.CloseAfter)
                {
                    await CloseAtBoundaryAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The connection ended while the reply was being made or held.
            }
        }

        /// <summary>Makes the reply to one request (<see langword="null"/> for none), and whether the server exits after it.</summary>
        private async Task<(byte[]? Reply, bool Exit)> ReplyToAsync(Request request)
        {
            var exit = false;
            var reply = await MakeReplyAsync(request, () => exit = true).ConfigureAwait(false);
            return (reply, exit);
        }

        private async Task<byte[]?> MakeReplyAsync(Request request, Action exitAfterReply)
        {
            if (request.Command is not { } command)
            {
                return server.BuildError("GenericError", request.ErrorDescription!, request.Id);
            }

            var negotiation = command.Name == "qmp_capabilities";
            IReadOnlyList<string> enable = [];
            if (!Negotiated && !negotiation)
            {
                return server.BuildError("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'", command.Id);
            }

            if (negotiation)
            {
                if (Negotiated)
                {
                    return server.BuildError("CommandNotFound", "Capabilities negotiation is already complete, command ignored", command.Id);
                }

                if (ReadCapabilities(command.Arguments, out enable) is { } refused)
                {
                    return server.BuildError("GenericError", refused, command.Id);
                }
            }

            object? result = null;
            if (server._handlers.TryGetValue(command.Name, out var handler))
            {
                Task<object?>? running = null;
                try
                {
                    running = handler(command, _cts.Token);
                    result = await running.WaitAsync(_cts.Token).ConfigureAwait(false);
                }
                catch (QmpTestServerError e)
                {
                    return server.BuildError(e.ErrorClass, e.Description, command.Id);
                }
                catch (OperationCanceledException) when (_cts.IsCancellationRequested)
                {
                    // The connection ended first. A handler that ignores its token may still fail later: observe it.
                    _ = running?.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return null;
                }
                catch (Exception e)
                {
                    server.RecordFailure(e);
                    return server.BuildError("GenericError", e.Message, command.Id);
                }
            }
            else if (!negotiation)
            {
                return server.BuildError("CommandNotFound", $"The command {command.Name} has not been found", command.Id);
            }

            if (ReferenceEquals(result, NoReply))
            {
                return null;
            }

            if (result is ReplyThenExit then)
            {
                exitAfterReply();
                result = then.Value;
            }

            if (negotiation)
            {
                Enabled = enable;
                Negotiated = true;
            }

            try
            {
                return server.BuildReturn(result, command.Id);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                server.RecordFailure(e);
                return server.BuildError("GenericError", "The test server could not serialize the result: " + e.Message, command.Id);
            }
        }

        /// <summary>Reads <c>qmp_capabilities</c>' <c>enable</c> list; returns QEMU's complaint when it asks for something not offered.</summary>
        private string? ReadCapabilities(JsonElement arguments, out IReadOnlyList<string> enable)
        {
            enable = [];
            if (!arguments.TryGetProperty("enable", out var list))
            {
                return null;
            }

            if (list.ValueKind != JsonValueKind.Array)
            {
                return "Invalid parameter type for 'enable', expected: array";
            }

            var names = new List<string>();
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return $"Invalid parameter type for 'enable[{index}]', expected: string";
                }

                var name = item.GetString()!;
                if (server.Options.Profile == QmpTestServerProfile.QemuLike && name != "oob")
                {
                    // QEMU 7.2 knows no capability but oob: any other name fails its enum check, worded so.
                    return $"Parameter 'null' does not accept value '{name}'";
                }

                if (!server.Options.Capabilities.Contains(name))
                {
                    return $"Capability '{name}' not available";
                }

                index++;

                names.Add(name);
            }

            enable = names.AsReadOnly();
            return null;
        }
    }
}
