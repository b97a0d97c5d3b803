using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests;

/// <summary>The suite's forced I/O mode (<see cref="IoModeFromEnvironment"/>) is the one in effect: CI runs the suite a
/// second time with <c>QMPNET_TEST_IO_MODE=DedicatedThread</c>, and that pass proves nothing unless its connections really
/// read on a thread of their own.</summary>
public class IoModeFromEnvironmentTests
{
    [Test]
    public async Task A_client_with_default_options_reads_in_the_mode_the_run_asks_for()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("query-status", _ => null);
        await using var client = await QmpClient.ConnectAsync(server.Endpoint);

        var name = await TestSupport.ThreadAnAnsweredCallerResumesOnAsync(server, client);
        if (IoModeFromEnvironment.Requested() == QmpIoMode.DedicatedThread)
        {
            Assert.That(name, Is.EqualTo("Qmp.Net reader"), "the run asked for DedicatedThread, but the caller did not resume on a reader thread");
        }
        else
        {
            Assert.That(name, Is.Not.EqualTo("Qmp.Net reader"), "no mode was forced, yet a client with default options read on a dedicated thread");
        }
    }

    [Test]
    public void A_value_that_names_no_mode_fails_the_run()
    {
        var previous = Environment.GetEnvironmentVariable(IoModeFromEnvironment.Variable);
        try
        {
            Environment.SetEnvironmentVariable(IoModeFromEnvironment.Variable, "Dedicated");
            Assert.Throws<InvalidOperationException>(() => IoModeFromEnvironment.Requested());
        }
        finally
        {
            Environment.SetEnvironmentVariable(IoModeFromEnvironment.Variable, previous);
        }
    }
}
