using Qmp.Net.Testing;

[assembly: Parallelizable(ParallelScope.Fixtures)]

namespace Qmp.Net.Tests.Support;

/// <summary>Bounds for every await in the tests: nothing may hang, whatever the client does wrong.</summary>
internal static class TestSupport
{
    /// <summary>How long any single await may take before the test fails (generous: the machine is shared).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static Task<T> Bounded<T>(this Task<T> task) => task.WaitAsync(Bound);

    public static Task Bounded(this Task task) => task.WaitAsync(Bound);

    public static Task<T> Bounded<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Bound);

    public static Task<QmpClient> ConnectAsync(QmpTestServer server, QmpClientOptions? options = null) =>
        QmpClient.ConnectAsync(server.Endpoint, options).Bounded();

    /// <summary>Runs <c>query-status</c> (the server must answer it) and returns the name of the thread its caller resumed
    /// on. The reply is held until the caller awaits: a reply that came first would let the caller go on on its own thread
    /// without ever waiting (a loaded machine did that in CI). No SynchronizationContext is involved, so the caller resumes
    /// where the answer is published.</summary>
    public static async Task<string?> ThreadAnAnsweredCallerResumesOnAsync(QmpTestServer server, QmpClient client)
    {
        using var gate = server.HoldReplies();
        var answer = client.ExecuteAsync("query-status");
        Assert.That(answer.IsCompleted, Is.False, "the reply came through the gate");

        static async Task<string?> ThreadAfterAnswerAsync(Task<System.Text.Json.JsonElement> answer)
        {
            await answer.ConfigureAwait(false);
            return Thread.CurrentThread.Name;
        }

        var resumed = ThreadAfterAnswerAsync(answer);
        gate.Open();
        return await resumed.Bounded();
    }

    /// <summary>Waits until a task has completed in any way, without throwing.</summary>
    public static async Task Settled(this Task task)
    {
        try
        {
            await task.Bounded();
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            // The outcome is asserted by the caller.
        }
    }

    /// <summary>Waits for a task to end and returns the exception it ended with (a cancelled task gives its
    /// <see cref="OperationCanceledException"/>), or <see langword="null"/> when it succeeded.</summary>
    public static async Task<Exception?> ErrorOf(Task task)
    {
        await task.Settled();
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
