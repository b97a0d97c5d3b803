namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>An <see cref="IProgress{T}"/> that keeps every report at once, on the reporting thread. Unlike
/// <see cref="Progress{T}"/>, which posts each report to the thread pool, it has every report, the final one included, by
/// the time the <c>WaitAsync</c> that made them returns.</summary>
internal sealed class ListProgress<T> : IProgress<T>
{
    private readonly List<T> _reports = [];

    /// <summary>Gets a copy of the reports so far, in order.</summary>
    public IReadOnlyList<T> Reports
    {
        get
        {
            lock (_reports)
            {
                return [.. _reports];
            }
        }
    }

    public void Report(T value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }
}
