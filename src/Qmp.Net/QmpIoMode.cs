namespace Qmp.Net;

/// <summary>Which threads read a <see cref="QmpClient"/>'s connection and resume the callers its answers complete
/// (<see cref="QmpClientOptions.IoMode"/>).</summary>
public enum QmpIoMode
{
    /// <summary>The connection is read by an asynchronous loop on the thread pool; an answered caller resumes on a pool
    /// thread. No thread of its own per connection.</summary>
    ThreadPool,

    /// <summary>The connection is read by a thread of its own, in blocking reads; an answered caller resumes on that thread
    /// at once, with no thread-pool hop, after the thread has given up the reader's role. When the caller's code runs for
    /// longer than about a millisecond (blocks, or computes), a standby thread takes over reading, so events and other
    /// answers are delayed by at most a couple of milliseconds, never held. Faster on a host whose cores are busy; costs at
    /// least one thread per connection (two once a caller has run long), and whatever a caller runs between two commands
    /// runs on that thread.</summary>
    DedicatedThread,
}
