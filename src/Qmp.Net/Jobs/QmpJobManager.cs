using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qmp.Net.Jobs;

/// <summary>Starts QEMU jobs and follows them to their end: block jobs (mirror, backup, stream, commit), image creation
/// and internal snapshots, and any other command that takes a <c>job-id</c>.</summary>
/// <remarks>
/// <para>The manager subscribes to the job events when it is created, so every job it starts is watched from before
/// its command is sent (QEMU sends <c>created</c> and <c>running</c> before the command's reply). One manager per
/// connection is enough; create it right after connecting.</para>
/// <para>When the connection is lost or QEMU exits, every unfinished handle fails at once with the connection's error
/// (<see cref="QmpClient.Completion"/>'s exception, or <see cref="QmpConnectionClosedException"/> after a clean close).
/// Disposing the manager fails unfinished handles with <see cref="ObjectDisposedException"/>; it cancels no job.</para>
/// <para>With <see cref="QmpJobOptions.ObserveOnly"/> the manager starts nothing and changes nothing: it gives a handle to
/// every job whose event it sees and to every job <see cref="AttachAsync"/> finds, follows each one through all its
/// states to its end, and never dismisses, finalizes or cancels a job on its own. A monitoring tool or an interactive
/// shell, whose user starts jobs by hand, uses this mode.</para>
/// </remarks>
public sealed class QmpJobManager : IAsyncDisposable
{
    private static readonly HashSet<string> s_autoDismissCommands =
        ["blockdev-mirror", "drive-mirror", "blockdev-backup", "drive-backup", "block-stream", "block-commit"];

    private readonly object _lock = new();
    private readonly Dictionary<string, QmpJob> _jobs = new(StringComparer.Ordinal);
    private readonly QmpEventSubscription _subscription;
    private readonly Task _loop;
    private int _nextId;
    private int _disposed;
    private Exception? _ended;

    // Job events let through the subscription's filter, and those the loop has finished handling: their difference (less
    // the events the subscription dropped) is what is queued or being handled, which a look at query-jobs must wait for.
    private long _eventsQueued;
    private long _eventsHandled;

    /// <summary>Tests only: runs on the manager's loop after it takes an event off its queue, before handling it.</summary>
    internal Action<QmpEvent>? EventTaken;

    /// <summary>Tests only: runs when a handle has ended, before the manager lets go of it.</summary>
    internal Action<QmpJob>? HandleEnding;

    /// <summary>Creates a manager for the jobs of one connected client and subscribes to their events.</summary>
    /// <param name="client">The client; it should be connected.</param>
    /// <param name="options">The options; <see langword="null"/> for <see cref="QmpJobOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    public QmpJobManager(QmpClient client, QmpJobOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        Client = client;
        Options = options ?? QmpJobOptions.Default;
        _subscription = client.SubscribeEvents(e =>
        {
            if (!IsJobEvent(e.Name))
            {
                return false;
            }

            Interlocked.Increment(ref _eventsQueued);
            return true;
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Gets the client the jobs run on.</summary>
    public QmpClient Client { get; }

    /// <summary>Gets the options.</summary>
    public QmpJobOptions Options { get; }

    /// <summary>Gets the jobs being followed (started here or attached, not yet ended; when the manager only observes,
    /// also the ended jobs QEMU still has).</summary>
    public IReadOnlyList<QmpJob> Jobs
    {
        get { lock (_lock) { return [.. _jobs.Values]; } }
    }

    /// <summary>Starts a job: registers its handle, then sends the command. Where the command has an
    /// <c>auto-dismiss</c> member and <paramref name="arguments"/> does not set it, it is sent as <see langword="false"/>,
    /// so that the job's error text stays readable until the manager has read it.</summary>
    /// <param name="command">The job-creating command: <c>blockdev-mirror</c>, <c>blockdev-backup</c>, <c>block-stream</c>,
    /// <c>block-commit</c>, <c>blockdev-create</c>, <c>snapshot-save</c>, <c>snapshot-load</c>, <c>snapshot-delete</c>, ...</param>
    /// <param name="arguments">The command's arguments; when they hold no <c>job-id</c>, a unique one is added. They are
    /// copied, not changed.</param>
    /// <param name="cancellationToken">Cancels the command (the job may still have been created).</param>
    /// <returns>The job's handle; await <see cref="QmpJob.Completion"/> for its outcome.</returns>
    /// <exception cref="ArgumentException"><paramref name="command"/> is empty, or the job id is already followed here.</exception>
    /// <exception cref="QmpErrorException">QEMU refused the command (the job was not created).</exception>
    /// <exception cref="ObjectDisposedException">The manager was disposed.</exception>
    /// <exception cref="InvalidOperationException">The manager only observes (<see cref="QmpJobOptions.ObserveOnly"/>).</exception>
    public async Task<QmpJob> StartAsync(string command, JsonObject arguments, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(arguments);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Options.ObserveOnly)
        {
            throw new InvalidOperationException("This job manager only observes (QmpJobOptions.ObserveOnly): send the command yourself; the manager follows the job it creates.");
        }

        var sent = (JsonObject)arguments.DeepClone();
        if (sent["job-id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var id) || id.Length == 0)
        {
            id = $"qmpnet-job-{Interlocked.Increment(ref _nextId)}";
            sent["job-id"] = id;
        }

        if (s_autoDismissCommands.Contains(command) && !sent.ContainsKey("auto-dismiss"))
        {
            sent["auto-dismiss"] = false;
        }

        var job = new QmpJob(this, id, TypeOf(command), QmpJobStatus.Undefined);
        lock (_lock)
        {
            if (_ended is not null)
            {
                job.Fail(_ended, "connection-lost");
                throw _ended;
            }

            if (!_jobs.TryAdd(id, job))
            {
                job.Fail(new InvalidOperationException("duplicate"), "failed");
                throw new ArgumentException($"A job with the id '{id}' is already followed by this manager.", nameof(arguments));
            }
        }

        try
        {
            await Client.ExecuteAsync(command, sent, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Forget(job);
            job.Fail(e, "failed");
            throw;
        }

        return job;
    }

    /// <summary>Attaches to the jobs QEMU already has (after a reconnect, or when another program started them), by
    /// reading <c>query-jobs</c>. Jobs already followed keep their handles; a concluded job is concluded at once. With
    /// <see cref="QmpJobOptions.ObserveOnly"/> this also reconciles: a followed job that QEMU no longer lists is gone
    /// (dismissed by someone, or by QEMU itself with <c>auto-dismiss</c>); it ends with what its events told and leaves
    /// <see cref="Jobs"/>.</summary>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A handle for every job QEMU lists.</returns>
    /// <exception cref="QmpException">The connection ended before or while the jobs were read.</exception>
    public async Task<IReadOnlyList<QmpJob>> AttachAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var listed = await QueryJobsAsync(cancellationToken).ConfigureAwait(false);
        var handles = new List<QmpJob>(listed.Count);
        foreach (var info in listed)
        {
            QmpJob job;
            lock (_lock)
            {
                // The connection may have ended while query-jobs was answered: the event loop has failed every handle it
                // knew, and a handle added now would never complete.
                if (_ended is not null)
                {
                    throw _ended;
                }

                if (!_jobs.TryGetValue(info.Id, out job!))
                {
                    job = new QmpJob(this, info.Id, info.Type, info.Status);
                    _jobs.Add(info.Id, job);
                }
            }

            job.Update(info);
            job.OnConcludedAtAttach();
            handles.Add(job);
        }

        if (Options.ObserveOnly)
        {
            ForgetUnlisted(listed);
        }

        return handles;
    }

    /// <summary>Saves an internal snapshot of the VM (<c>snapshot-save</c>, QEMU 6.0+) and waits for it.</summary>
    /// <param name="tag">The snapshot's name.</param>
    /// <param name="vmStateNode">The node that stores the VM state (a qcow2 format node).</param>
    /// <param name="devices">The nodes to snapshot.</param>
    /// <param name="cancellationToken">Stops waiting (the job goes on).</param>
    /// <returns>A task that completes when the snapshot exists (the job is dismissed).</returns>
    /// <exception cref="QmpJobException">The job failed, with QEMU's error text.</exception>
    public Task SaveSnapshotAsync(string tag, string vmStateNode, IReadOnlyList<string> devices, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vmStateNode);
        return RunSnapshotJobAsync("snapshot-save", tag, vmStateNode, devices, cancellationToken);
    }

    /// <summary>Loads an internal snapshot (<c>snapshot-load</c>) and waits for it. A missing tag fails the job and leaves
    /// the VM in <c>restore-vm</c> state.</summary>
    /// <param name="tag">The snapshot's name.</param>
    /// <param name="vmStateNode">The node that holds the VM state.</param>
    /// <param name="devices">The nodes to revert.</param>
    /// <param name="cancellationToken">Stops waiting (the job goes on).</param>
    /// <returns>A task that completes when the snapshot is loaded.</returns>
    /// <exception cref="QmpJobException">The job failed, with QEMU's error text.</exception>
    public Task LoadSnapshotAsync(string tag, string vmStateNode, IReadOnlyList<string> devices, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vmStateNode);
        return RunSnapshotJobAsync("snapshot-load", tag, vmStateNode, devices, cancellationToken);
    }

    /// <summary>Deletes an internal snapshot (<c>snapshot-delete</c>) and waits for it.</summary>
    /// <param name="tag">The snapshot's name.</param>
    /// <param name="devices">The nodes to delete it from.</param>
    /// <param name="cancellationToken">Stops waiting (the job goes on).</param>
    /// <returns>A task that completes when the snapshot is deleted.</returns>
    /// <exception cref="QmpJobException">The job failed, with QEMU's error text.</exception>
    public Task DeleteSnapshotAsync(string tag, IReadOnlyList<string> devices, CancellationToken cancellationToken = default) =>
        RunSnapshotJobAsync("snapshot-delete", tag, null, devices, cancellationToken);

    /// <summary>Stops following jobs: unfinished handles fail with <see cref="ObjectDisposedException"/>; no job is cancelled.</summary>
    /// <returns>A task that completes when the event loop has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscription.Dispose();
        await _loop.ConfigureAwait(false);
    }

    internal static bool IsJobEvent(string name) => name is "JOB_STATUS_CHANGE" or "BLOCK_JOB_READY" or "BLOCK_JOB_COMPLETED"
        or "BLOCK_JOB_CANCELLED" or "BLOCK_JOB_ERROR" or "BLOCK_JOB_PENDING";

    /// <summary>Called when a handle has ended: it leaves the table, except in observe mode while QEMU still has the
    /// job (concluded, not dismissed), so that it can still be listed.</summary>
    internal void OnEnded(QmpJob job)
    {
        HandleEnding?.Invoke(job);
        if (!Options.ObserveOnly || job.Status == QmpJobStatus.Null)
        {
            Forget(job);
        }
    }

    internal void Forget(QmpJob job)
    {
        lock (_lock)
        {
            if (_jobs.TryGetValue(job.Id, out var known) && ReferenceEquals(known, job))
            {
                _jobs.Remove(job.Id);
            }
        }
    }

    internal async Task<QmpJobInfo?> QueryJobAsync(string id, CancellationToken cancellationToken)
    {
        foreach (var info in await QueryJobsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (info.Id == id)
            {
                return info;
            }
        }

        return null;
    }

    /// <summary>The error that ends the handles when the connection ended while a command of ours was running.</summary>
    internal Exception ConnectionError(Exception thrown)
    {
        lock (_lock)
        {
            return _ended ?? thrown;
        }
    }

    private void ForgetUnlisted(List<QmpJobInfo> listed)
    {
        var ids = new HashSet<string>(listed.Select(i => i.Id), StringComparer.Ordinal);
        List<QmpJob> gone;
        lock (_lock)
        {
            gone = [.. _jobs.Values.Where(j => !ids.Contains(j.Id))];
        }

        foreach (var job in gone)
        {
            if (job.Completion.IsCompleted)
            {
                Forget(job);
            }
            else if (!EventsOutstanding())
            {
                // No job event is queued or being handled (an event sent before query-jobs' answer has passed the filter by
                // then), so the job really went away unseen: it ends as a null status would end it. Otherwise the next look
                // decides. Not the queue's count alone: the loop may have taken an event of this job and not yet handled it.
                job.OnStatus(QmpJobStatus.Null);
            }
        }
    }

    private bool EventsOutstanding()
    {
        // Handled first: read the other way round, an event handled between the two reads would look outstanding, which
        // only delays the decision; this way round one counted as handled is also counted as queued.
        var handled = Interlocked.Read(ref _eventsHandled);
        return Interlocked.Read(ref _eventsQueued) - _subscription.DroppedCount - handled > 0;
    }

    private async Task<List<QmpJobInfo>> QueryJobsAsync(CancellationToken cancellationToken)
    {
        var result = await Client.ExecuteAsync("query-jobs", null, cancellationToken).ConfigureAwait(false);
        var list = new List<QmpJobInfo>();
        if (result.ValueKind != JsonValueKind.Array)
        {
            return list;
        }

        foreach (var item in result.EnumerateArray())
        {
            list.Add(new QmpJobInfo(
                String(item, "id") ?? "",
                String(item, "type") ?? "",
                QmpJobStatusNames.Parse(String(item, "status")),
                Int(item, "current-progress"),
                Int(item, "total-progress"),
                String(item, "error")));
        }

        return list;
    }

    private async Task RunSnapshotJobAsync(string command, string tag, string? vmStateNode, IReadOnlyList<string> devices, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(devices);
        var array = new JsonArray();
        foreach (var device in devices)
        {
            array.Add((JsonNode)JsonValue.Create(device));
        }

        var arguments = new JsonObject { ["tag"] = tag, ["devices"] = array };
        if (vmStateNode is not null)
        {
            arguments["vmstate"] = vmStateNode;
        }

        var job = await StartAsync(command, arguments, cancellationToken).ConfigureAwait(false);
        await job.WaitAsync(null, cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var e in _subscription.ConfigureAwait(false))
            {
                try
                {
                    EventTaken?.Invoke(e);
                    Dispatch(e);
                }
                finally
                {
                    Interlocked.Increment(ref _eventsHandled);
                }
            }
        }
        catch (Exception)
        {
            // The subscription ended abnormally: handled below like its end.
        }

        Exception reason;
        if (Volatile.Read(ref _disposed) != 0)
        {
            reason = new ObjectDisposedException(nameof(QmpJobManager), "The job manager was disposed before the job ended; the job itself was not cancelled.");
        }
        else
        {
            try
            {
                await Client.Completion.ConfigureAwait(false);
                reason = new QmpConnectionClosedException("The connection to QEMU ended before the job ended.");
            }
            catch (Exception e)
            {
                reason = e;
            }
        }

        List<QmpJob> jobs;
        lock (_lock)
        {
            _ended = reason;
            jobs = [.. _jobs.Values];
            _jobs.Clear();
        }

        foreach (var job in jobs)
        {
            job.Fail(reason, reason is ObjectDisposedException ? "abandoned" : "connection-lost");
        }
    }

    private void Dispatch(QmpEvent e)
    {
        var data = e.Data;
        if (data.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var key = e.Name is "JOB_STATUS_CHANGE" or "BLOCK_JOB_PENDING" ? String(data, "id") : String(data, "device");
        if (key is null)
        {
            return;
        }

        QmpJob? job;
        lock (_lock)
        {
            _jobs.TryGetValue(key, out job);
        }

        if (job is null)
        {
            // An observer follows every job it sees, except one whose first sign is its end (already gone).
            if (!Options.ObserveOnly || (e.Name == "JOB_STATUS_CHANGE" && QmpJobStatusNames.Parse(String(data, "status")) == QmpJobStatus.Null))
            {
                return;
            }

            // Created outside the lock: the handle starts its activity, and activity listeners are user code.
            var seen = new QmpJob(this, key, String(data, "type") ?? "", QmpJobStatus.Undefined);
            lock (_lock)
            {
                if (_ended is null && Volatile.Read(ref _disposed) == 0 && !_jobs.TryGetValue(key, out job))
                {
                    _jobs.Add(key, seen);
                    job = seen;
                }
            }

            if (!ReferenceEquals(job, seen))
            {
                // The connection ended meanwhile, or AttachAsync took the job first.
                seen.Discard();
                if (job is null)
                {
                    return;
                }
            }
        }

        switch (e.Name)
        {
            case "JOB_STATUS_CHANGE":
                job.OnStatus(QmpJobStatusNames.Parse(String(data, "status")));
                break;
            case "BLOCK_JOB_ERROR":
                job.OnIoError(String(data, "operation") ?? "", String(data, "action") ?? "");
                break;
            case "BLOCK_JOB_COMPLETED":
                job.OnCompletedEvent(String(data, "error"));
                break;
            case "BLOCK_JOB_CANCELLED":
                job.OnCancelledEvent();
                break;
        }

        if (Options.ObserveOnly && job.Completion.IsCompleted && job.Status == QmpJobStatus.Null)
        {
            // Dismissed after its end was read: QEMU no longer has it.
            Forget(job);
        }
    }

    private static string TypeOf(string command) => command switch
    {
        "blockdev-mirror" or "drive-mirror" => "mirror",
        "blockdev-backup" or "drive-backup" => "backup",
        "block-stream" => "stream",
        "block-commit" => "commit",
        "blockdev-create" => "create",
        "snapshot-save" or "snapshot-load" or "snapshot-delete" => command,
        _ => "",
    };

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
