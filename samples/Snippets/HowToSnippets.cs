using System.Diagnostics;
using Qmp.Net;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;
using Qmp.Net.Testing;

namespace Snippets;

/// <summary>The C# of the how-to pages docs/howto-events.md and docs/howto-errors.md. The events and the dying QEMU run
/// against a real QEMU; the timeout runs against a <see cref="QmpTestServer"/> that never answers, as a frozen QEMU would.</summary>
[CancelAfter(60_000)]
public sealed class HowToSnippets
{
    private static readonly string[] EmptyMachine = ["-machine", "none", "-nodefaults", "-display", "none", "-S"];

    [Test]
    public async Task Watch_events()
    {
        Qemu.Require();
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = EmptyMachine });
        var client = qemu.Client;
        using var output = new ConsoleCapture();

        #region events-wait
        // Start waiting before the command that causes the event: the wait sees only events that arrive after it began.
        Task<ResumeEvent> resumed = client.WaitForEventAsync<ResumeEvent>();
        await client.Commands.ContAsync();
        ResumeEvent resume = await resumed;                 // QEMU sends RESUME before cont's answer
        #endregion

        #region events-subscribe
        // Only the events you want, in a buffer of their own from this call on; disposing the subscription ends it.
        using QmpEventSubscription runState = client.SubscribeEvents(e => e.Name is "STOP" or "RESUME");
        await client.Commands.StopAsync();
        await client.Commands.ContAsync();

        await foreach (QmpEvent e in runState)
        {
            switch (e.Decode())                              // the typed record of the event; never throws
            {
                case StopEvent:
                    Console.WriteLine($"#{e.Sequence} the VM stopped at {e.Timestamp:T}");
                    break;
                case ResumeEvent:
                    Console.WriteLine($"#{e.Sequence} the VM runs again");
                    break;
            }

            if (e.Name == "RESUME")
                break;
        }
        #endregion

        #region events-all
        // client.Events holds every event since the connection was made, also those nobody waited for.
        while (client.Events.TryRead(out QmpEvent? e))
            Console.WriteLine($"{e.Name} {e.Data}");
        if (client.Events.DroppedCount > 0)                   // the buffer (EventBufferCapacity, 1024) was full
            Console.WriteLine($"{client.Events.DroppedCount} events were not read in time and were dropped");
        #endregion

        Assert.That(resume.Event.Name, Is.EqualTo("RESUME"));
        var lines = output.ToString().Split(Environment.NewLine);
        Assert.That(lines, Has.Some.Match(@"^#\d+ the VM stopped at "));
        Assert.That(lines, Has.Some.Match(@"^#\d+ the VM runs again$"));
        Assert.That(lines.Where(l => l.StartsWith("RESUME ", StringComparison.Ordinal)).Count(), Is.EqualTo(2));
        Assert.That(lines, Has.Some.StartsWith("STOP "));
    }

    [Test]
    public async Task A_QEMU_error_and_a_command_this_QEMU_lacks()
    {
        Qemu.Require();
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = EmptyMachine });
        var client = qemu.Client;
        string? missing = null;
        string? unsupported = null;

        #region errors-qemu
        try
        {
            await client.Commands.DeviceDelAsync(new DeviceDelArguments { Id = "nic0" });
        }
        catch (QmpErrorException e) when (e.ErrorClass == "DeviceNotFound")
        {
            missing = e.Description;                         // "Device 'nic0' not found"
        }
        #endregion

        #region errors-unsupported
        try
        {
            await client.Commands.QueryCryptodevAsync();       // QEMU 8.0 and later
        }
        catch (QapiUnsupportedException e)
        {
            unsupported = e.Message;                           // names the command and the connected QEMU's version; nothing was sent
        }
        #endregion

        Assert.That(missing, Does.Contain("nic0"));
        if (client.Greeting!.Version.Major < 8)
            Assert.That(unsupported, Does.Contain("query-cryptodev"));
        else
            Assert.That(unsupported, Is.Null);
    }

    [Test]
    public async Task A_server_that_stops_answering_times_out()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.NeverReply("query-status");                    // as a frozen (SIGSTOPped) QEMU would
        QmpCommunicationException? timedOut = null;

        #region errors-timeout
        // TransactionTimeout (30 s by default) runs while an answer is due: a server that stops answering breaks the
        // connection, and every pending command fails with the same exception.
        var options = QmpClientOptions.Default with { TransactionTimeout = TimeSpan.FromSeconds(1) };
        await using var client = await QmpClient.ConnectAsync(server.Endpoint, options);
        try
        {
            await client.ExecuteAsync("query-status");
        }
        catch (QmpCommunicationException e) when (e.Error == QmpCommunicationError.TransactionTimeout)
        {
            timedOut = e;                                       // client.State is now Disconnected: connect a new client
        }
        #endregion

        Assert.That(timedOut, Is.Not.Null);
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
    }

    [Test]
    public async Task Give_up_waiting_with_a_token()
    {
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        await using var client = await QmpClient.ConnectAsync(server.Endpoint);
        var gaveUp = false;

        #region errors-cancel
        // Your own deadline for one wait: the token cancels that wait only, the connection stays usable.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await client.WaitForEventAsync<ShutdownEvent>(cancellationToken: deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            gaveUp = true;                                      // the guest did not shut down in time
        }
        await client.ExecuteAsync("query-status");              // still connected
        #endregion

        Assert.That(gaveUp, Is.True);
        Assert.That(client.State, Is.EqualTo(QmpState.Idle));
    }

    [Test]
    public async Task A_QEMU_that_dies()
    {
        Qemu.Require();
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions { Arguments = EmptyMachine });
        var client = qemu.Client;
        Process.GetProcessById(qemu.ProcessId).Kill();          // as the OOM killer would
        Exception? failure = null;

        #region errors-dying
        // When QEMU dies, the connection ends: Completion completes, State becomes Disconnected, and every command,
        // pending or new, fails with a QmpException; the QemuProcess sees the exit code.
        await client.Completion.ContinueWith(_ => { }, TaskScheduler.Default);   // ended, by a close or a fault
        int exitCode = await qemu.Exited;
        try
        {
            await client.Commands.QueryStatusAsync();
        }
        catch (QmpException e)                                  // QmpConnectionClosedException here
        {
            failure = e;
        }
        #endregion

        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        Assert.That(failure, Is.InstanceOf<QmpConnectionClosedException>());
    }

    [Test]
    public async Task Test_how_your_code_meets_errors_and_a_closed_connection()
    {
        #region test-faults
        await using var server = await QmpTestServer.StartAsync(QmpTestServerOptions.QemuLike);
        server.HandleError("cont", "GenericError", "Resetting the Virtual Machine is required");
        await using var client = await QmpClient.ConnectAsync(server.Endpoint);

        var error = Assert.ThrowsAsync<QmpErrorException>(() => client.ExecuteAsync("cont"));
        Assert.That(error!.ErrorClass, Is.EqualTo("GenericError"));

        await server.CloseConnectionAsync();                    // as a QEMU that exits
        await client.Completion;                                // a close between messages: completes, no fault
        Assert.That(client.State, Is.EqualTo(QmpState.Disconnected));
        Assert.ThrowsAsync<QmpConnectionClosedException>(() => client.ExecuteAsync("query-status"));
        #endregion
    }
}
