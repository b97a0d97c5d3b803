using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Qmp.Net.Internal;

namespace Qmp.Net;

public sealed partial class QmpClient
{
    private static readonly JsonElement s_enableOob = JsonDocument.Parse("""{"enable":["oob"]}""").RootElement;

    private readonly CancellationTokenSource _lifetimeCts = new();
    private bool _opened;
    private readonly TaskCompletionSource _connectEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _terminationReason;
    private TaskCompletionSource? _drained;
    private Exception? _terminationForPending;
    private bool _oobEnabled;
    private int _writerActive;

    /// <summary>Connects to <see cref="Endpoint"/>, reads the greeting and negotiates capabilities; completes when the client
    /// is ready for commands.</summary>
    /// <param name="cancellationToken">Cancels connecting; the client is then closed.</param>
    /// <returns>A task that completes when the client is ready.</returns>
    /// <exception cref="InvalidOperationException">The client is connecting, connected or finished: a client makes one connection.</exception>
    /// <exception cref="QmpConnectionException">The connection could not be made (refused, no socket file, unreachable), or
    /// <see cref="QmpClientOptions.ConnectTimeout"/> elapsed at any step (<see cref="SocketError.TimedOut"/>).</exception>
    /// <exception cref="QmpCommunicationException">The server broke the protocol while connecting (e.g. its first message is no greeting).</exception>
    /// <exception cref="QmpErrorException">The server answered <c>qmp_capabilities</c> with an error.</exception>
    /// <exception cref="QmpConnectionClosedException"><see cref="Abort"/> or <see cref="DisposeAsync"/> was called while connecting.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (_started || _terminated)
            {
                ExceptionFactory.ThrowAlreadyStarted();
            }

            _started = true;
            SetStateLocked(QmpState.Connecting);
        }

        try
        {
            await ConnectCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connectEnded.TrySetResult();
        }
    }

    private async Task ConnectCoreAsync(CancellationToken cancellationToken)
    {
        RaiseStateChanges();
        Log.Connecting(_logger, Endpoint);
        var timeout = _options.ConnectTimeout;
        using var timeoutCts = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _options.TimeProvider);

        // Abort and DisposeAsync cancel the client's lifetime token: connecting (a retry delay included) ends at once.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts?.Token ?? CancellationToken.None, _lifetimeCts.Token);
        try
        {
            var transport = _options.ConnectRetry is { } retry
                ? await retry.ExecuteAsync(static (client, token) => client._connector(client.Endpoint, token), this, linked.Token).ConfigureAwait(false)
                : await _connector(Endpoint, linked.Token).ConfigureAwait(false);
            lock (_sync)
            {
                if (_terminated)
                {
                    transport.Abort();
                    throw ExceptionFactory.Closed();
                }

                _transport = transport;

                // Published with the transport, so that a dispose that sees the transport also waits for the read loop.
                // On the thread pool, whatever the caller's SynchronizationContext: a UI thread blocked on ConnectAsync
                // must not be where the read loop waits to run.
                _readLoop = Task.Run(() => ReadLoopAsync(transport), CancellationToken.None);
                SetStateLocked(QmpState.AwaitingGreeting);
            }

            RaiseStateChanges();
            var greeting = await _greetingReceived.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            var oob = _options.EnableOob && greeting.Capabilities.Contains("oob");
            var id = NextInBandId();
            var payload = CommandEncoder.Encode("qmp_capabilities", false, id, oob ? s_enableOob : null, _json);
            await Enqueue<JsonElement>("qmp_capabilities", payload, id, false, null, linked.Token, negotiation: true).ConfigureAwait(false);
            lock (_sync)
            {
                if (_terminated)
                {
                    throw ExceptionFactory.Closed();
                }

                _oobEnabled = oob;
                if (oob)
                {
                    _protocol.EnableOob();
                }

                Volatile.Write(ref _negotiated, oob ? s_oobCapability : s_noCapabilities);
                SetStateLocked(_protocol.Commands.LiveCount > 0 ? QmpState.Busy : QmpState.Idle);
            }

            RaiseStateChanges();
            Log.Negotiated(_logger, Endpoint, oob ? "oob" : string.Empty);
            Volatile.Write(ref _opened, true);
            if (Telemetry.ConnectionsOpened.Enabled)
            {
                Telemetry.ConnectionsOpened.Add(1);
            }
        }
        catch (Exception e) when (_lifetimeCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested && Volatile.Read(ref _terminationReason) is null)
        {
            // Abort or DisposeAsync ended connecting; whatever the step was doing when it noticed is not the cause.
            if (e is QmpConnectionClosedException)
            {
                throw;
            }

            throw ExceptionFactory.Closed();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _lifetimeCts.IsCancellationRequested && Volatile.Read(ref _terminationReason) is { } reason)
        {
            // The connection ended with an error while connecting (a bad greeting, a close before it): that error is the
            // outcome, not the cancellation of the step that was waiting.
            if (reason is QmpConnectionException or QmpErrorException)
            {
                Log.ConnectFailed(_logger, Endpoint, reason);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(reason);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && timeoutCts?.IsCancellationRequested == true)
        {
            var error = ExceptionFactory.ConnectTimedOut(Endpoint, timeout, State);
            Log.ConnectFailed(_logger, Endpoint, error);
            Break(error);
            throw new QmpConnectionException(error.SocketError, error.Message, e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            Break(null);
            throw new OperationCanceledException("Connecting to the QMP server was cancelled.", e, cancellationToken);
        }
        catch (QmpException e)
        {
            if (e is QmpConnectionException or QmpErrorException)
            {
                Log.ConnectFailed(_logger, Endpoint, e);
            }

            Break(e);
            throw;
        }
        catch (Exception e)
        {
            Break(null);
            throw new QmpConnectionException(SocketError.SocketError, $"Connecting to the QMP server at {Endpoint} failed: {e.Message}", e);
        }
    }

    /// <summary>Closes the connection gracefully: new commands are refused with <see cref="QmpConnectionClosedException"/>,
    /// every command accepted before the call finishes (bounded by <paramref name="cancellationToken"/> and the transaction
    /// timeout), then the connection closes and <see cref="Completion"/> completes.</summary>
    /// <param name="cancellationToken">Cuts the wait short: the connection is then aborted and the remaining commands fail
    /// with <see cref="QmpConnectionClosedException"/>.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the commands finished.</exception>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        Task drained;
        lock (_sync)
        {
            if (_terminated)
            {
                return;
            }

            if (_state is not (QmpState.Idle or QmpState.Busy or QmpState.Closing))
            {
                drained = Task.CompletedTask;
            }
            else
            {
                SetStateLocked(QmpState.Closing);
                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_protocol.Commands.LiveCount == 0)
                {
                    _drained.TrySetResult();
                }

                drained = _drained.Task;
            }
        }

        RaiseStateChanges();
        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Break(null);
        }

        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Reported through Completion.
        }
    }

    /// <summary>Receives until the connection ends, feeding the protocol engine; reports how it ended through
    /// <see cref="Break(Exception?, bool)"/>.</summary>
    private async Task ReadLoopAsync(IQmpTransport transport)
    {
        Exception? error = null;
        using var reader = new MessageReader(_options.MaxMessageBytes);
        try
        {
            while (true)
            {
                int received;
                try
                {
                    received = await transport.ReceiveAsync(reader.GetReceiveBuffer(), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
                {
                    if (!IsTerminated && !_protocol.Commands.QuitWritten)
                    {
                        error = ExceptionFactory.ReadFailed(e);
                    }

                    break;
                }

                if (received == 0)
                {
                    if (reader.HasPartialMessage && !_protocol.Commands.QuitWritten)
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
                if (IsTerminated)
                {
                    break;
                }
            }
        }
        catch (QmpException e)
        {
            error = e;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Every violation by the server is a QmpException: anything else is a bug in this library, not in the server.
            Log.InternalError(_logger, Endpoint, e);
            error = ExceptionFactory.InternalError(e);
        }

        if (error is null && _protocol.Greeting is null && !IsTerminated)
        {
            // Connecting failed: the server hung up before it said anything (a TLS server that rejects the client's
            // certificate does this, and so does a QMP server that already has a client).
            error = ExceptionFactory.ClosedBeforeGreeting(Endpoint);
        }

        if (error is null)
        {
            _protocol.CompleteQuitOnClose();
        }

        Break(error, serverClosed: error is null);
    }

    private bool IsTerminated
    {
        get
        {
            lock (_sync)
            {
                return _terminated;
            }
        }
    }

    private void OnGreeting(QmpGreeting greeting)
    {
        lock (_sync)
        {
            if (_terminated)
            {
                return;
            }

            Volatile.Write(ref _greeting, greeting);
            SetStateLocked(QmpState.Negotiating);
        }

        RaiseStateChanges();
        Log.GreetingReceived(_logger, Endpoint, greeting.Version, string.Join(", ", greeting.Capabilities));
        _greetingReceived.TrySetResult(greeting);
    }

    /// <summary>The one teardown path: ends the connection once, whatever the cause, and ends every task the client handed
    /// out. Returns what pending work fails with, so that a caller can <c>throw Break(e)</c>.</summary>
    /// <param name="error">What broke the connection, or <see langword="null"/> for a graceful end.</param>
    /// <param name="serverClosed">The server closed the connection at a message boundary.</param>
    /// <returns>The exception pending commands and waiters fail with (for a repeated call: that of the first).</returns>
    private Exception Break(Exception? error, bool serverClosed = false)
    {
        IQmpTransport? transport;
        TaskCompletionSource? drained;
        QmpState oldState;
        Exception forPending;
        lock (_sync)
        {
            if (_terminated)
            {
                return _terminationForPending!;
            }

            _terminated = true;
            _terminationReason = error;
            forPending = error switch
            {
                QmpCommunicationException => error,
                null => ExceptionFactory.Closed(),
                _ => ExceptionFactory.ClosedBy(error),
            };
            _terminationForPending = forPending;
            oldState = _state;
            SetStateLocked(QmpState.Disconnected);
            transport = _transport;
            drained = _drained;
        }

        transport?.Abort();
        _protocol.Close(forPending);
        drained?.TrySetResult();
        if (Volatile.Read(ref _opened) && Telemetry.ConnectionsClosed.Enabled)
        {
            var reason = error switch
            {
                null => serverClosed ? "server" : "client",
                QmpCommunicationException c => c.Error.ToString(),
                _ => error.GetType().Name,
            };
            Telemetry.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("qmp.close.reason", reason));
        }
        if (_greetingReceived.TrySetException(error ?? forPending))
        {
            _ = _greetingReceived.Task.Exception;
        }

        if (error is null)
        {
            if (oldState != QmpState.Disconnected || _started)
            {
                Log.Disconnected(_logger, Endpoint, serverClosed ? "closed by the server" : "closed by the client");
            }

            _completion.TrySetResult();
        }
        else
        {
            if (error is QmpCommunicationException communication)
            {
                Log.ConnectionFailed(_logger, Endpoint, communication.Error.ToString(), error);
            }

            _completion.TrySetException(error);

            // Completion reports the error to whoever awaits it; nobody has to, so it must never surface as unobserved.
            _ = _completion.Task.Exception;
        }

        // Last, once everything has its outcome: a connect in progress (a retry delay included) ends, and sees the cause.
        _lifetimeCts.Cancel();
        RaiseStateChanges();
        return forPending;
    }

    /// <summary>Receives the engine's reports; the engine knows this as an <see cref="IProtocolObserver"/>, never as the client.</summary>
    private sealed class ProtocolObserver(QmpClient client) : IProtocolObserver
    {
        public void OnGreeting(QmpGreeting greeting) => client.OnGreeting(greeting);

        public void OnNoCommandsLive() => client.OnNoCommandsLive();

        public void OnWriteNeeded() => client.ScheduleWrite();

        public void OnTransactionTimeout(QmpCommunicationException timeout) => client.Break(timeout);
    }
}
