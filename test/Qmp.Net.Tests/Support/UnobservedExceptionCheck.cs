using System.Collections.Concurrent;

namespace Qmp.Net.Tests;

/// <summary>Fails the run when any task fault went unobserved: neither the client nor the test server may leave one behind.</summary>
[SetUpFixture]
public sealed class UnobservedExceptionCheck
{
    private static readonly ConcurrentQueue<Exception> s_unobserved = new();

    [OneTimeSetUp]
    public void Start() => TaskScheduler.UnobservedTaskException += OnUnobserved;

    [OneTimeTearDown]
    public void Check()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        TaskScheduler.UnobservedTaskException -= OnUnobserved;
        Assert.That(s_unobserved.Select(e => e.ToString()), Is.Empty, "task exceptions nobody observed");
    }

    private static void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => s_unobserved.Enqueue(e.Exception.Flatten().InnerExceptions.Count == 1 ? e.Exception.InnerException! : e.Exception);
}
