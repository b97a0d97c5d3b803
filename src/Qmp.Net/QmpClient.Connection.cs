using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Qmp.Net.Internal;

namespace Qmp.Net;

public sealed partial class QmpClient
{
    private static readonly JsonElement s_enableOob = JsonDocument.Parse("""{"enable":["oob"]}""").RootElement;

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
        if (!_connection.TryStart())
        {
            ExceptionFactory.ThrowAlreadyStarted();
        }

        try
        {
            await ConnectCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A failed connect has broken the connection, here or on the read loop's thread, which may still be ending it
            // (Break(null) is then a no-op, and ends it otherwise). A caller who sees the error must find Completion ended
            // with it: wait for that (Break never waits on anything, so this is short).
            _connection.Break(null);
            await _connection.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        finally
        {
            _connectEnded.TrySetResult();
        }
    }

    private async Task ConnectCoreAsync(CancellationToken cancellationToken)
    {
        Log.Connecting(_logger, Endpoint);
        var timeout = _options.ConnectTimeout;
        using var timeoutCts = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _options.TimeProvider);

        // Abort and DisposeAsync cancel the client's lifetime token: connecting (a retry delay included) ends at once.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts?.Token ?? CancellationToken.None, _connection.Ended);
        try
        {
            var transport = _options.ConnectRetry is { } retry
                ? await retry.ExecuteAsync(static (client, token) => client._connector(client.Endpoint, token), this, linked.Token).ConfigureAwait(false)
                : await _connector(Endpoint, linked.Token).ConfigureAwait(false);
            _connection.Attach(transport);
            var greeting = await _connection.GreetingReceived.WaitAsync(linked.Token).ConfigureAwait(false);
            var oob = _options.EnableOob && greeting.Capabilities.Contains("oob");
            var id = NextInBandId();
            var payload = CommandEncoder.Encode("qmp_capabilities", false, id, oob ? s_enableOob : null, _json);
            await Enqueue<JsonElement>("qmp_capabilities", payload, id, false, null, linked.Token, negotiation: true).ConfigureAwait(false);
            _connection.Open(oob);
            Log.Negotiated(_logger, Endpoint, oob ? "oob" : string.Empty);
        }
        catch (Exception e) when (_connection.Ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested && _connection.TerminationReason is null)
        {
            // Abort or DisposeAsync ended connecting; whatever the step was doing when it noticed is not the cause.
            if (e is QmpConnectionClosedException)
            {
                throw;
            }

            throw ExceptionFactory.Closed();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _connection.Ended.IsCancellationRequested && _connection.TerminationReason is { } reason)
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
            _connection.Break(error);
            throw new QmpConnectionException(error.SocketError, error.Message, e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            _connection.Break(null);
            throw new OperationCanceledException("Connecting to the QMP server was cancelled.", e, cancellationToken);
        }
        catch (QmpException e)
        {
            if (e is QmpConnectionException or QmpErrorException)
            {
                Log.ConnectFailed(_logger, Endpoint, e);
            }

            _connection.Break(e);
            throw;
        }
        catch (Exception e)
        {
            _connection.Break(null);
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
        if (_connection.BeginDrain() is not { } drained)
        {
            return;
        }

        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connection.Break(null);
        }

        await _connection.WaitForReadLoopAsync().ConfigureAwait(false);
    }
}
