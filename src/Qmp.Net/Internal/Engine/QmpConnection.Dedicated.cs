using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Qmp.Net.Internal;

/// <summary>The connection's reader in <see cref="QmpIoMode.DedicatedThread"/>: threads of the connection's own, one at a
/// time in the reader's role (leader and followers).</summary>
internal sealed partial class QmpConnection
{
    /// <summary>Gets or sets an I/O mode that overrides every connection's options (a test hook: the test assembly sets it
    /// from <c>QMPNET_TEST_IO_MODE</c>, to run the whole suite in one mode).</summary>
    internal static QmpIoMode? ForcedIoMode { get; set; }

    /// <summary>Gets or sets a value indicating whether this connection's dedicated reader is left out of the process-wide
    /// <see cref="ReaderWatchdog"/>, so that a test drives its ticks with <see cref="TickReaderWatchdog"/> (the watchdog's
    /// fake clock). Set before connecting.</summary>
    internal bool ManualReaderTicks { get; set; }

    /// <summary>Gets how many reader threads this connection has started (the first, and one per hand-over that found no
    /// parked standby).</summary>
    internal int ReaderThreadsStarted => _dedicatedReader?.ThreadsStarted ?? 0;

    /// <summary>One tick of the watchdog for this connection's dedicated reader (with <see cref="ManualReaderTicks"/>):
    /// returns whether the reader still needs watching.</summary>
    internal bool TickReaderWatchdog() => _dedicatedReader?.Tick() ?? false;

    /// <summary>Gets a value indicating whether the reader's role is free: the thread that had it runs a caller's code.</summary>
    internal bool ReaderRoleIsFree => _dedicatedReader?.IsFree ?? false;

    /// <summary>Gets a value indicating whether a reader thread waits parked as the standby.</summary>
    internal bool ReaderStandbyParked => _dedicatedReader?.StandbyParked ?? false;

    /// <summary>Reads the connection on a thread of its own, in blocking receives, and resumes an answered caller on that
    /// thread with no thread-pool hop. The thread gives up the reader's role before it runs the caller and takes it back
    /// when the caller returns; when the caller's code has held the thread for a whole tick of <see cref="ReaderWatchdog"/>,
    /// the watchdog hands the role to a standby thread (a parked one, or a new one), and the first thread becomes the
    /// standby when it returns. So caller code never holds up the next message for longer than about two ticks, and a
    /// sequential caller's round trip wakes one thread, as a blocking client's does.</summary>
    /// <remarks>Only the thread holding the role touches the message reader and the transport's receive side; the role
    /// moves by interlocked operations, which order those accesses. Nothing escapes the threads: every failure ends the
    /// connection with its reason, as the thread-pool read loop does.</remarks>
    private sealed class DedicatedReader
    {
        private const int Held = 0;
        private const int Free = 1;
        private const int Ended = 2;

        private readonly QmpConnection _connection;
        private readonly IQmpTransport _transport;
        private readonly MessageReader _reader;
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly object _standbyLock = new();
        private int _role;
        private long _releases;
        private long _releasesSeen = -1;
        private bool _standbyParked;
        private bool _promoted;
        private int _threadsStarted;

        public DedicatedReader(QmpConnection connection, IQmpTransport transport)
        {
            _connection = connection;
            _transport = transport;
            _reader = new MessageReader(connection._maxMessageBytes);
        }

        /// <summary>Gets a task that completes when reading has ended and the connection has been ended with its reason.
        /// A thread that is running a caller's code then still ends when that code returns to it.</summary>
        public Task Stopped => _stopped.Task;

        /// <summary>Starts the first reader thread.</summary>
        public void Start()
        {
            // Watched before the thread starts, so that a thread that ends at once is removed after it was added.
            if (!_connection.ManualReaderTicks)
            {
                ReaderWatchdog.Add(this);
            }

            try
            {
                StartThread();
            }
            catch
            {
                ReaderWatchdog.Remove(this);
                _reader.Dispose();
                throw;
            }
        }

        /// <summary>The watchdog's tick: when the role has been free (a caller's code running) since the last tick, it goes
        /// to the standby. Returns whether the connection needs watching on the next tick (the role is free, or it was given
        /// up since the last tick).</summary>
        public bool Tick()
        {
            var releases = Volatile.Read(ref _releases);
            var role = Volatile.Read(ref _role);
            if (role == Ended)
            {
                return false;
            }

            if (role == Free && releases == _releasesSeen && Interlocked.CompareExchange(ref _role, Held, Free) == Free)
            {
                Promote();
                return true;
            }

            var active = role == Free || releases != _releasesSeen;
            _releasesSeen = releases;
            return active;
        }

        /// <summary>Gets a value indicating whether a caller's code holds the thread that gave up the role.</summary>
        public bool IsFree => Volatile.Read(ref _role) == Free;

        /// <summary>Gets a value indicating whether a thread waits parked as the standby.</summary>
        public bool StandbyParked
        {
            get
            {
                lock (_standbyLock)
                {
                    return _standbyParked;
                }
            }
        }

        private void Promote()
        {
            lock (_standbyLock)
            {
                if (_standbyParked)
                {
                    _promoted = true;
                    Monitor.Pulse(_standbyLock);
                    return;
                }
            }

            try
            {
                StartThread();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // No thread now (out of threads): the role is free again, for the running thread to take back or for a
                // later tick to try again.
                Volatile.Write(ref _role, Free);
            }
        }

        /// <summary>Gets how many reader threads this reader has started.</summary>
        public int ThreadsStarted => Volatile.Read(ref _threadsStarted);

        private void StartThread()
        {
            new Thread(Run) { IsBackground = true, Name = "Qmp.Net reader" }.Start();
            Interlocked.Increment(ref _threadsStarted);
        }

        /// <summary>A reader thread: holds the role when it starts (the first thread, or one the watchdog promoted).</summary>
        private void Run()
        {
            try
            {
                while (ReadUntilAnswered() is { } answered)
                {
                    Interlocked.Increment(ref _releases);

                    // A full fence (not a volatile write), so that the watchdog either sees the role free or is seen asleep.
                    Interlocked.Exchange(ref _role, Free);
                    ReaderWatchdog.Wake();
                    PublishLastInline(answered);
                    if (!TakeRoleBack())
                    {
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                // Only a bug gets here (every failure of the read is handled below): the connection ends with it, and the
                // thread, which the user does not own, ends quietly.
                Log.InternalError(_connection._logger, _connection._endpoint, e);
                End(ExceptionFactory.InternalError(e));
            }
        }

        /// <summary>Reads until the protocol core has answered commands to publish; null once reading has ended (and the
        /// connection with it).</summary>
        private (PendingCommand? First, PendingCommand[]? More)? ReadUntilAnswered()
        {
            var connection = _connection;
            var protocol = connection._protocol;
            Exception? error = null;
            try
            {
                while (true)
                {
                    int received;
                    try
                    {
                        received = _transport.Receive(_reader.GetReceiveBuffer());
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
                    {
                        if (!connection._terminated && !protocol.QuitWritten)
                        {
                            error = ExceptionFactory.ReadFailed(e);
                        }

                        break;
                    }

                    if (received == 0)
                    {
                        if (_reader.HasPartialMessage && !protocol.QuitWritten)
                        {
                            error = ExceptionFactory.ClosedMidMessage();
                        }

                        break;
                    }

                    _reader.Advance(received);
                    if (Telemetry.BytesReceived.Enabled)
                    {
                        Telemetry.BytesReceived.Add(received);
                    }

                    protocol.Receive(_reader);
                    if (connection._terminated)
                    {
                        break;
                    }

                    if (protocol.HasAnswered)
                    {
                        return protocol.TakeAnswered();
                    }
                }
            }
            catch (QmpException e)
            {
                error = e;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.InternalError(connection._logger, connection._endpoint, e);
                error = ExceptionFactory.InternalError(e);
            }

            End(error);
            return null;
        }

        /// <summary>Publishes a read's answers in order: all but the last queue their callers to the thread pool (so a caller
        /// that blocks here holds up no other answer), the last resumes its caller on this thread.</summary>
        private static void PublishLastInline((PendingCommand? First, PendingCommand[]? More) answered)
        {
            if (answered.More is not { } more)
            {
                answered.First?.Publish(inline: true);
                return;
            }

            answered.First?.Publish(inline: false);
            for (var i = 0; i < more.Length - 1; i++)
            {
                more[i].Publish(inline: false);
            }

            more[^1].Publish(inline: true);
        }

        /// <summary>After a caller's code returned: takes the role back, or, when the watchdog gave it to another thread
        /// meanwhile, waits as the standby until the role is handed over again. False when the thread is to end.</summary>
        private bool TakeRoleBack()
        {
            if (Interlocked.CompareExchange(ref _role, Held, Free) == Free)
            {
                return true;
            }

            lock (_standbyLock)
            {
                if (_standbyParked || Volatile.Read(ref _role) == Ended)
                {
                    // One standby is enough: this thread ends.
                    return false;
                }

                _standbyParked = true;
                while (!_promoted && Volatile.Read(ref _role) != Ended)
                {
                    Monitor.Wait(_standbyLock);
                }

                _standbyParked = false;
                var promoted = _promoted;
                _promoted = false;
                return promoted;
            }
        }

        /// <summary>Reading has ended (this thread holds the role): ends the connection with the reason, releases the
        /// reader, ends the standby and reports <see cref="Stopped"/>.</summary>
        private void End(Exception? error)
        {
            if (Interlocked.Exchange(ref _role, Ended) == Ended)
            {
                return;
            }

            try
            {
                ReaderWatchdog.Remove(this);
                _connection.EndReading(error);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // EndReading does not throw; should it, the connection still ends.
                _connection.Break(ExceptionFactory.InternalError(e));
            }
            finally
            {
                _reader.Dispose();
                lock (_standbyLock)
                {
                    Monitor.PulseAll(_standbyLock);
                }

                _stopped.TrySetResult();
            }
        }
    }

    /// <summary>One thread per process that hands a connection's reader role to a standby when a caller's code has held the
    /// thread for a whole tick (about 1 ms). It ticks only while some connection is active, and sleeps otherwise until a
    /// reader gives up its role again.</summary>
    private static class ReaderWatchdog
    {
        private static readonly object s_lock = new();
        private static readonly List<DedicatedReader> s_readers = [];
        private static bool s_started;
        private static volatile bool s_sleeping;

        public static void Add(DedicatedReader reader)
        {
            lock (s_lock)
            {
                s_readers.Add(reader);
                if (!s_started)
                {
                    new Thread(Run) { IsBackground = true, Name = "Qmp.Net reader watchdog" }.Start();
                    s_started = true;
                }
            }
        }

        public static void Remove(DedicatedReader reader)
        {
            lock (s_lock)
            {
                s_readers.Remove(reader);
            }
        }

        /// <summary>A reader gave up its role: make sure the watchdog ticks (a flag read, unless it was asleep).</summary>
        public static void Wake()
        {
            if (s_sleeping)
            {
                lock (s_lock)
                {
                    s_sleeping = false;
                    Monitor.Pulse(s_lock);
                }
            }
        }

        /// <summary>Ticks every reader; returns whether any needs watching. A method of its own, so that no local of this
        /// thread's endless frame keeps the last reader (and its connection and client) reachable while the watchdog sleeps.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static bool TickAll()
        {
            var active = false;
            foreach (var reader in s_readers)
            {
                active |= reader.Tick();
            }

            return active;
        }

        private static void Run()
        {
            lock (s_lock)
            {
                while (true)
                {
                    try
                    {
                        // The tick (the lock is released while waiting).
                        Monitor.Wait(s_lock, 1);
                        if (!TickAll())
                        {
                            // Nothing to watch: sleep until a reader gives up its role (Wake). The flag is set before the
                            // roles are looked at again and a reader gives its role up before it reads the flag (both full
                            // fences), so a release is either seen here or wakes the watchdog.
                            s_sleeping = true;
                            Interlocked.MemoryBarrier();
                            if (!s_readers.Exists(r => r.IsFree))
                            {
                                Monitor.Wait(s_lock);
                            }

                            s_sleeping = false;
                        }
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // Never ends the watchdog (a reader's tick does not throw; should it, the next tick tries again).
                    }
                }
            }
        }
    }
}
