using System.Text.Json.Nodes;
using Qmp.Net;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;

namespace Snippets;

/// <summary>The C# of README.md: each region is one of its code blocks (the block's <c>using</c> lines are this file's),
/// and <see cref="ReadmeSyncTests"/> fails when the README and these regions differ. The tour runs against a real
/// QEMU; the first block connects to a VM's socket and is compiled only.</summary>
[CancelAfter(60_000)]
public sealed class ReadmeSnippets
{
    /// <summary>Compiled, not run: it needs a VM listening at that socket (the tour below runs the same calls).</summary>
    internal static async Task IntroAsync()
    {
        #region readme-intro
        await using var client = await QmpClient.ConnectAsync(QmpEndpoint.Parse("unix:/run/vm1/qmp.sock"));
        Console.WriteLine($"QEMU {client.Greeting!.Version}");

        StatusInfo status = await client.Commands.QueryStatusAsync();     // typed: Status is a RunState, Running a bool
        Console.WriteLine(status.Status);                                   // running

        var stopped = client.WaitForEventAsync<StopEvent>();
        await client.Commands.StopAsync();
        Console.WriteLine((await stopped).Event);                           // #1 STOP {} @ 2026-...
        #endregion
    }

    [Test]
    public async Task The_tour_runs_against_a_real_QEMU()
    {
        Qemu.Require();
        using var output = new ConsoleCapture();

        #region readme-tour
        // Start a QEMU with a private QMP socket and a connected client; disposing stops it (quit, SIGTERM, SIGKILL).
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
        });
        var client = qemu.Client;

        // Events: every event since the connection, buffered per subscription; Decode() gives its typed record.
        _ = Task.Run(async () =>
        {
            await foreach (var e in client.Events)
                Console.WriteLine(e.Decode() is ShutdownEvent s ? $"SHUTDOWN, reason {s.Reason}" : e.ToString());
        });

        await client.Commands.ContAsync();                                 // RESUME is delivered before this completes
        await client.Commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null0", Size = 1 << 20 });
        var nodes = await client.Commands.QueryNamedBlockNodesAsync(new() { Flat = true });   // IReadOnlyList<BlockDeviceInfo>

        // Typed commands are checked against the connected QEMU's schema first: what it lacks is never sent.
        try
        {
            Console.WriteLine((await client.Commands.QueryCryptodevAsync()).Count);   // QEMU 8.0 and later
        }
        catch (QapiUnsupportedException e)
        {
            Console.WriteLine(e.Message);           // on 7.2: "The connected QEMU 7.2.22 has no command 'query-cryptodev' ..."
        }

        // Untyped, the escape hatch: any command by name, arguments and result as JSON.
        try
        {
            await client.ExecuteAsync("no-such-command");
        }
        catch (QmpErrorException e)
        {
            Console.WriteLine($"{e.ErrorClass}: {e.Description}");       // CommandNotFound: The command no-such-command has not been found
        }

        // Out-of-band commands overtake queued in-band ones (needs the negotiated "oob" capability, on by default).
        var yank = await client.Commands.QueryYankAsync(outOfBand: true);
        // A block job: the manager subscribes before it sends, follows the events, and throws QmpJobException with QEMU's text.
        await client.Commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null1", Size = 1 << 20 });
        await using var jobs = new QmpJobManager(client);
        var mirror = await jobs.StartAsync("blockdev-mirror", new JsonObject { ["job-id"] = "m0", ["device"] = "null0", ["target"] = "null1", ["sync"] = "full" });
        await mirror.CompleteAsync();                                       // waits for READY (blips too), then job-complete
        await mirror.Completion;

        // Live migration to a second QEMU started with -incoming defer; the helper turns on the "events" capability.
        await using var target = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-incoming", "defer"],
        });
        var uri = "unix:" + Path.Combine(Path.GetTempPath(), $"tour-{Guid.NewGuid():N}.sock");
        await using var incoming = await QmpMigration.StartIncomingAsync(target.Client, uri);
        await using var outgoing = await QmpMigration.StartAsync(client, uri);
        Console.WriteLine(await outgoing.WaitAsync());                      // Completed (QmpMigrationException on failure)
        #endregion

        Assert.That(nodes.Select(n => n.NodeName), Does.Contain("null0"));
        Assert.That(mirror.Status, Is.EqualTo(QmpJobStatus.Null).Or.EqualTo(QmpJobStatus.Concluded));
        Assert.That(await incoming.Completion, Is.EqualTo(QmpMigrationStatus.Completed));
        Assert.That((await client.Commands.QueryStatusAsync()).Status, Is.EqualTo(RunState.Postmigrate));
        Assert.That(yank, Is.Not.Null);
        Assert.That(output.ToString(), Does.Contain("CommandNotFound: The command no-such-command has not been found"));
        Assert.That(output.ToString(), client.Greeting!.Version.Major < 8
            ? Does.Contain("has no command 'query-cryptodev'")
            : Does.Contain("0" + Environment.NewLine));
    }

    /// <summary>Compiled, not run: the tests of Qmp.Net.Qapi run these calls against QEMU 7.2 and 10.0.</summary>
    internal static async Task TypedAsync(QmpClient client)
    {
        #region readme-typed
        StatusInfo status = await client.Commands.QueryStatusAsync();
        if (status.Status == RunState.Paused) await client.Commands.ContAsync();
        await client.Commands.BlockdevAddAsync(new BlockdevOptions.NullCoBranch { NodeName = "null0" });
        var shutdown = await client.WaitForEventAsync<ShutdownEvent>();   // e.Decode() for any QmpEvent; never throws
        #endregion
        _ = shutdown;
    }
}

/// <summary>Captures what the snippet writes to the console, and passes it on when disposed.</summary>
internal sealed class ConsoleCapture : IDisposable
{
    private readonly TextWriter _original = Console.Out;
    private readonly StringWriter _text = new();

    public ConsoleCapture() => Console.SetOut(_text);

    public override string ToString() => _text.ToString();

    public void Dispose()
    {
        Console.SetOut(_original);
        _original.Write(_text.ToString());
        _text.Dispose();
    }
}
