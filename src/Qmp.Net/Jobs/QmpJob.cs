using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Qmp.Net.Jobs;

/// <summary>A handle on one QEMU job, kept up to date from its events by a <see cref="QmpJobManager"/>.</summary>
/// <remarks>
/// <para>The handle follows the job's <c>JOB_STATUS_CHANGE</c> events (matched on <c>id</c>) and its
/// <c>BLOCK_JOB_*</c> events (matched on <c>device</c>, which holds the job id). When the job concludes, the manager
/// reads its outcome from <c>query-jobs</c> (QEMU's error text is there and in <c>BLOCK_JOB_COMPLETED</c>, never in the
/// status events), dismisses it (<see cref="QmpJobOptions.DismissConcludedJobs"/>) and ends <see cref="Completion"/>.</para>
/// <para>Disposing the handle stops tracking the job. A concluded job that was not dismissed yet is dismissed; a job
/// that is still running is <b>not</b> cancelled (call <see cref="CancelAsync"/> for that) and its
/// <see cref="Completion"/> fails with <see cref="ObjectDisposedException"/> if it had not ended.</para>
/// </remarks>
public sealed class QmpJob : IAsyncDisposable
{
    private readonly QmpJobManager _manager;
    private readonly object _lock = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<bool> Condition, TaskCompletionSource Signal)> _waiters = [];
    private readonly List<Channel<QmpJobProgress>> _watchers = [];
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private Activity? _activity;
    private int _ended;
    private QmpJobStatus _status;
    private string _type;
    private long _current;
    private long _total;
    private long _readyCount;
    private bool _pausedOnError;
    private QmpJobIoError? _lastIoError;
    private int _ioErrorCount;
    private string? _completedEventError;
    private bool _completedEventSeen;
    private bool _cancelledEventSeen;
    private bool _cancelRequested;
    private bool _concluding;
    private bool _dismissed;
    private int _disposed;

    internal QmpJob(QmpJobManager manager, string id, string type, QmpJobStatus status)
    {
        _manager = manager;
        Id = id;
        _type = type;
        _status = status;
        _completion.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _activity = WorkflowTelemetry.StartLongActivity("qmp.job");
        _activity?.SetTag("qmp.job.id", id);
        _activity?.SetTag("qmp.job.type", type);
    }

    /// <summary>Gets the job's id (<c>job-id</c>).</summary>
    public string Id { get; }

    /// <summary>Gets the job's type (<c>mirror</c>, <c>backup</c>, <c>stream</c>, <c>commit</c>, <c>create</c>,
    /// <c>snapshot-save</c>, <c>snapshot-load</c>, <c>snapshot-delete</c>, ...), or an empty string when not known yet.</summary>
    public string Type
    {
        get { lock (_lock) { return _type; } }
    }

    /// <summary>Gets the last status seen.</summary>
    public QmpJobStatus Status
    {
        get { lock (_lock) { return _status; } }
    }

    /// <summary>Gets a value indicating whether the job is paused because of an I/O error with <c>on-error=stop</c>
    /// (or <c>on-target-error=stop</c>): <see cref="ResumeAsync"/> retries, <see cref="CancelAsync"/> gives up. A pause
    /// without such an error (asked for, or a backup job's brief pause on its own) does not set it.</summary>
    public bool IsPausedOnError
    {
        get { lock (_lock) { return _pausedOnError; } }
    }

    /// <summary>Gets the last I/O error the job reported (<c>BLOCK_JOB_ERROR</c>), or <see langword="null"/>.</summary>
    public QmpJobIoError? LastIoError
    {
        get { lock (_lock) { return _lastIoError; } }
    }

    /// <summary>Gets how many <c>BLOCK_JOB_ERROR</c> events the job sent.</summary>
    public int IoErrorCount
    {
        get { lock (_lock) { return _ioErrorCount; } }
    }

    /// <summary>Gets the last progress figures read from <c>query-jobs</c>, with the current status.</summary>
    public QmpJobProgress Progress
    {
        get { lock (_lock) { return new(_status, _current, _total); } }
    }

    /// <summary>Gets a task that completes when the job has ended: successfully, or faulted with
    /// <see cref="QmpJobException"/> (the job failed or was cancelled), with the connection's error (the connection was
    /// lost or QEMU exited), or with <see cref="ObjectDisposedException"/> (the handle or its manager was disposed first).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Waits for the job to end, reporting its progress on the way.</summary>
    /// <param name="progress">Receives the progress at each status change and every
    /// <see cref="QmpJobOptions.ProgressInterval"/> (read with <c>query-jobs</c>), the final item last; <see langword="null"/>
    /// polls nothing. Every <see cref="IProgress{T}.Report"/> call is made before this method returns, but
    /// <see cref="Progress{T}"/> posts each report on (to the captured <see cref="SynchronizationContext"/> or the thread
    /// pool), so its handler may run later and out of order: use an <see cref="IProgress{T}"/> of your own when the last
    /// report must have been handled by the time the wait ends.</param>
    /// <param name="cancellationToken">Stops waiting (the job goes on).</param>
    /// <returns>A task that completes as <see cref="Completion"/> does.</returns>
    /// <exception cref="QmpJobException">The job failed or was cancelled.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task WaitAsync(IProgress<QmpJobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (progress is not null)
        {
            await foreach (var p in WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                progress.Report(p);
            }
        }

        await _completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams the job's progress: an item at each status change and every
    /// <see cref="QmpJobOptions.ProgressInterval"/> (read with <c>query-jobs</c>, the only source of the figures). The
    /// stream ends when the job has ended (see <see cref="Completion"/> for how); a slow reader loses the oldest items.</summary>
    /// <param name="cancellationToken">Ends the enumeration with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The progress items.</returns>
    public IAsyncEnumerable<QmpJobProgress> WatchAsync(CancellationToken cancellationToken = default) => WatchCoreAsync(cancellationToken);

    /// <summary>Waits until the job is in the given status.</summary>
    /// <param name="status">The status to wait for.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the status is reached (at once if it already is).</returns>
    /// <exception cref="InvalidOperationException">The job ended successfully without reaching <paramref name="status"/>.</exception>
    /// <exception cref="QmpJobException">The job failed before reaching <paramref name="status"/>.</exception>
    public Task WaitForStatusAsync(QmpJobStatus status, CancellationToken cancellationToken = default)
    {
        return WaitUntilAsync(() => _status == status, $"status {QmpJobStatusNames.Format(status)}", cancellationToken);
    }

    /// <summary>Reads the job's progress and type from <c>query-jobs</c> now.</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The progress; the last known one when the job is no longer listed.</returns>
    public async Task<QmpJobProgress> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var info = await _manager.QueryJobAsync(Id, cancellationToken).ConfigureAwait(false);
        if (info is { } found)
        {
            Update(found);
        }

        return Progress;
    }

    /// <summary>Completes a ready job (<c>job-complete</c>): a mirror pivots to its target, an active commit ends. Waits for
    /// the job to be ready first; if it leaves <c>ready</c> for a moment (a READY "blip") and QEMU refuses, waits for the
    /// next READY and tries again. The job then still has to conclude: await <see cref="Completion"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait and the command.</param>
    /// <returns>A task that completes when QEMU has accepted <c>job-complete</c>, or at once when the job already ended well.</returns>
    /// <exception cref="QmpErrorException">QEMU refused while the job was ready (the job cannot be completed).</exception>
    /// <exception cref="QmpJobException">The job failed before it could be completed.</exception>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                await WaitUntilAsync(() => _status == QmpJobStatus.Ready, "status ready", cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (_completion.Task.IsCompletedSuccessfully)
            {
                return;
            }

            long generation;
            lock (_lock)
            {
                generation = _readyCount;
            }

            try
            {
                await _manager.Client.ExecuteAsync("job-complete", new JsonObject { ["id"] = Id }, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (QmpErrorException)
            {
                var info = await _manager.QueryJobAsync(Id, cancellationToken).ConfigureAwait(false);
                if (info is { } found && found.Status == QmpJobStatus.Ready)
                {
                    throw;
                }

                if (info is null || _completion.Task.IsCompleted)
                {
                    await _completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                // Left ready between our check and QEMU's: wait for the next READY.
                await WaitUntilAsync(() => _readyCount > generation, "the next ready", cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Finalizes a pending job (<c>job-finalize</c>), for jobs started with <c>auto-finalize=false</c>; waits
    /// for the <c>pending</c> status first.</summary>
    /// <param name="cancellationToken">Cancels the wait and the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command.</returns>
    /// <exception cref="QmpJobException">The job failed before it was pending.</exception>
    public async Task FinalizeAsync(CancellationToken cancellationToken = default)
    {
        await WaitForStatusAsync(QmpJobStatus.Pending, cancellationToken).ConfigureAwait(false);
        await _manager.Client.ExecuteAsync("job-finalize", new JsonObject { ["id"] = Id }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Dismisses a concluded job (<c>job-dismiss</c>) when the manager does not
    /// (<see cref="QmpJobOptions.DismissConcludedJobs"/> off); waits for <see cref="Completion"/>'s outcome to be read first.</summary>
    /// <param name="cancellationToken">Cancels the wait and the command.</param>
    /// <returns>A task that completes when the job is gone.</returns>
    public async Task DismissAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QmpJobException)
        {
            // The outcome is recorded; dismissing is still wanted.
        }

        lock (_lock)
        {
            if (_dismissed)
            {
                return;
            }
        }

        await _manager.Client.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = Id }, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _dismissed = true;
        }
    }

    /// <summary>Cancels the job: <c>job-cancel</c>, or with <paramref name="force"/> <c>block-job-cancel force=true</c>
    /// (a ready mirror then ends without pivoting even when paused). <see cref="Completion"/> then fails with a
    /// <see cref="QmpJobException"/> whose <see cref="QmpJobException.WasCancelled"/> is true. To end a ready mirror
    /// successfully without pivoting, send <c>block-job-cancel</c> without <c>force</c> yourself.</summary>
    /// <param name="force">Use <c>block-job-cancel</c> with <c>force=true</c> (block jobs only).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command (not when the job has ended).</returns>
    public async Task CancelAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _cancelRequested = true;
        }

        var (command, arguments) = force
            ? ("block-job-cancel", new JsonObject { ["device"] = Id, ["force"] = true })
            : ("job-cancel", new JsonObject { ["id"] = Id });
        await _manager.Client.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pauses the job (<c>job-pause</c>).</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command.</returns>
    public Task PauseAsync(CancellationToken cancellationToken = default) =>
        _manager.Client.ExecuteAsync("job-pause", new JsonObject { ["id"] = Id }, cancellationToken);

    /// <summary>Resumes a paused job (<c>job-resume</c>), including one paused by an I/O error (it retries the failed I/O).</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when QEMU has accepted the command.</returns>
    public Task ResumeAsync(CancellationToken cancellationToken = default) =>
        _manager.Client.ExecuteAsync("job-resume", new JsonObject { ["id"] = Id }, cancellationToken);

    /// <summary>Stops tracking the job: dismisses it if it concluded and was not dismissed (not when its manager only
    /// observes, <see cref="QmpJobOptions.ObserveOnly"/>); a running job is left running.</summary>
    /// <returns>A task that completes when done; it never throws.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _manager.Forget(this);
        bool dismiss;
        lock (_lock)
        {
            dismiss = _status == QmpJobStatus.Concluded && !_dismissed && !_manager.Options.ObserveOnly;
        }

        if (dismiss)
        {
            try
            {
                await _manager.Client.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = Id }).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Gone already, or the connection ended: nothing left to dismiss.
            }
        }

        Fail(new ObjectDisposedException(nameof(QmpJob), $"The handle of job '{Id}' was disposed before the job ended; the job itself was not cancelled."), "abandoned");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Type} job '{Id}' ({QmpJobStatusNames.Format(Status)})";

    internal void Update(QmpJobInfo info)
    {
        lock (_lock)
        {
            if (info.Type.Length > 0)
            {
                _type = info.Type;
            }

            _current = info.Current;
            _total = info.Total;
            if (_status == QmpJobStatus.Undefined)
            {
                _status = info.Status;
            }
        }
    }

    internal void OnStatus(QmpJobStatus status)
    {
        bool conclude = false, vanished = false;
        lock (_lock)
        {
            _status = status;
            if (status == QmpJobStatus.Ready)
            {
                _readyCount++;
            }

            if (status is QmpJobStatus.Running or QmpJobStatus.Ready or QmpJobStatus.Aborting)
            {
                _pausedOnError = false;
            }

            if (status == QmpJobStatus.Concluded && !_concluding)
            {
                _concluding = conclude = true;
            }
            else if (status == QmpJobStatus.Null && !_concluding)
            {
                // Dismissed by someone else (or auto-dismiss): the events seen are all we will learn.
                _concluding = vanished = true;
                _dismissed = true;
            }
            else if (status == QmpJobStatus.Null)
            {
                _dismissed = true;
            }
        }

        Notify();
        if (conclude)
        {
            _ = ConcludeAsync();
        }
        else if (vanished)
        {
            FinishFromEvents(found: null);
        }
    }

    internal void OnIoError(string operation, string action)
    {
        lock (_lock)
        {
            _lastIoError = new QmpJobIoError(operation, action);
            _ioErrorCount++;
            if (action == "stop")
            {
                _pausedOnError = true;
            }
        }

        Notify();
    }

    internal void OnCompletedEvent(string? error)
    {
        lock (_lock)
        {
            _completedEventSeen = true;
            _completedEventError = error;
        }
    }

    internal void OnCancelledEvent()
    {
        lock (_lock)
        {
            _cancelledEventSeen = true;
        }
    }

    internal void OnConcludedAtAttach()
    {
        bool conclude = false;
        lock (_lock)
        {
            if (_status == QmpJobStatus.Concluded && !_concluding)
            {
                _concluding = conclude = true;
            }
        }

        if (conclude)
        {
            _ = ConcludeAsync();
        }
    }

    /// <summary>Drops a handle that was never handed out nor registered: its activity ends unrecorded.</summary>
    internal void Discard()
    {
        _activity?.Dispose();
        _activity = null;
    }

    internal void Fail(Exception reason, string outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            Record(outcome, reason.Message);
            _manager.OnEnded(this);
            _completion.TrySetException(reason);
            Ended();
        }
    }

    private async Task ConcludeAsync()
    {
        QmpJobInfo? found;
        try
        {
            found = await _manager.QueryJobAsync(Id, CancellationToken.None).ConfigureAwait(false);
            if (found is { } info)
            {
                Update(info);
            }

            if (_manager.Options.DismissConcludedJobs && !_manager.Options.ObserveOnly && found is not null)
            {
                try
                {
                    await _manager.Client.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = Id }).ConfigureAwait(false);
                    lock (_lock)
                    {
                        // QEMU sends the null status before the reply, but our event loop may not have handled it yet.
                        _dismissed = true;
                        _status = QmpJobStatus.Null;
                    }
                }
                catch (QmpErrorException)
                {
                    // Dismissed meanwhile by someone else.
                }
            }
        }
        catch (Exception e)
        {
            Fail(_manager.ConnectionError(e), "connection-lost");
            return;
        }

        FinishFromEvents(found);
    }

    private void FinishFromEvents(QmpJobInfo? found)
    {
        string? error;
        bool cancelled, known;
        QmpJobStatus status;
        string type;
        lock (_lock)
        {
            error = found?.Error ?? _completedEventError;
            cancelled = _cancelledEventSeen || (_cancelRequested && error is not null);
            known = found is not null || _completedEventSeen || _cancelledEventSeen;
            status = _status == QmpJobStatus.Null ? QmpJobStatus.Concluded : _status;
            type = _type;
        }

        if (error is null && !cancelled && known)
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                Record("success", null);
                _manager.OnEnded(this);
                _completion.TrySetResult();
                Ended();
            }

            return;
        }

        Fail(new QmpJobException(Id, type, status, error, cancelled), cancelled ? "cancelled" : "failed");
    }

    // Telemetry and the manager's table first, then Completion: a caller who awaited Completion always finds the activity
    // stopped, the job counted, and the job gone from QmpJobManager.Jobs (unless an observer still lists it, as QEMU does).
    private void Record(string outcome, string? error)
    {
        string type;
        lock (_lock)
        {
            type = _type;
        }

        var tags = new TagList { { "qmp.job.type", type }, { "qmp.outcome", outcome } };
        WorkflowTelemetry.Jobs.Add(1, tags);
        WorkflowTelemetry.JobDuration.Record(Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds, tags);
        _activity?.SetTag("qmp.job.type", type);
        WorkflowTelemetry.Finish(_activity, outcome, error);
        _activity = null;
    }

    private void Ended()
    {
        List<(Func<bool>, TaskCompletionSource)> waiters;
        List<Channel<QmpJobProgress>> watchers;
        lock (_lock)
        {
            waiters = [.. _waiters];
            _waiters.Clear();
            watchers = [.. _watchers];
            _watchers.Clear();
        }

        foreach (var (condition, signal) in waiters)
        {
            if (!condition())
            {
                signal.TrySetException(_completion.Task.Exception?.InnerException ?? new InvalidOperationException($"The job '{Id}' ended without reaching the awaited state."));
            }
            else
            {
                signal.TrySetResult();
            }
        }

        var final = Progress;
        foreach (var watcher in watchers)
        {
            watcher.Writer.TryWrite(final);
            watcher.Writer.TryComplete();
        }

    }

    private void Notify()
    {
        List<TaskCompletionSource>? ready = null;
        List<Channel<QmpJobProgress>> watchers;
        QmpJobProgress progress;
        lock (_lock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition())
                {
                    (ready ??= []).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }

            watchers = [.. _watchers];
            progress = new(_status, _current, _total);
        }

        if (ready is not null)
        {
            foreach (var signal in ready)
            {
                signal.TrySetResult();
            }
        }

        foreach (var watcher in watchers)
        {
            watcher.Writer.TryWrite(progress);
        }
    }

    private async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            if (condition())
            {
                return;
            }

            if (_completion.Task.IsCompleted)
            {
                signal = null!;
            }
            else
            {
                signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((condition, signal));
            }
        }

        if (signal is null)
        {
            await _completion.Task.ConfigureAwait(false);
            throw new InvalidOperationException($"The job '{Id}' ended ({QmpJobStatusNames.Format(Status)}) without reaching {what}.");
        }

        try
        {
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _waiters.RemoveAll(w => w.Signal == signal);
            }

            throw;
        }
    }

    private async IAsyncEnumerable<QmpJobProgress> WatchCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<QmpJobProgress>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            if (_completion.Task.IsCompleted)
            {
                channel.Writer.TryWrite(new(_status, _current, _total));
                channel.Writer.TryComplete();
            }
            else
            {
                _watchers.Add(channel);
            }
        }

        using var polling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var poller = PollAsync(channel, polling.Token);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }

            await polling.CancelAsync().ConfigureAwait(false);
            await poller.ConfigureAwait(false);
        }
    }

    private async Task PollAsync(Channel<QmpJobProgress> channel, CancellationToken cancellationToken)
    {
        var options = _manager.Options;
        try
        {
            while (!_completion.Task.IsCompleted)
            {
                var progress = await RefreshAsync(cancellationToken).ConfigureAwait(false);
                if (!_completion.Task.IsCompleted)
                {
                    channel.Writer.TryWrite(progress);
                }

                await Task.Delay(options.ProgressInterval, options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Cancelled, or the connection ended: the job's own completion reports that.
        }
    }
}
