using Qmp.Net;
using Qmp.Net.Qapi;
using Qmp.Net.Qemu;

namespace Snippets;

/// <summary>The C# of docs/getting-started.md: a first typed command, an event and an error against a QEMU the snippet
/// starts itself.</summary>
[CancelAfter(60_000)]
public sealed class GettingStartedSnippets
{
    [Test]
    public async Task A_first_command_an_event_and_an_error()
    {
        Qemu.Require();
        using var output = new ConsoleCapture();

        #region first-program
        // Start QEMU with a private QMP socket; the returned process holds a connected client.
        // -machine none and -S: an empty machine that starts paused, enough to talk to.
        await using var qemu = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Arguments = ["-machine", "none", "-nodefaults", "-display", "none", "-S"],
        });
        QmpClient client = qemu.Client;
        Console.WriteLine($"Connected to QEMU {client.Greeting!.Version}");

        // A typed command: query-status, answered with a StatusInfo record.
        StatusInfo status = await client.Commands.QueryStatusAsync();
        Console.WriteLine($"The VM is {status.Status}");                 // prelaunch: started with -S

        // An event: wait for RESUME (started before the command, so it cannot be missed), then resume the VM.
        Task<ResumeEvent> resumed = client.WaitForEventAsync<ResumeEvent>();
        await client.Commands.ContAsync();
        ResumeEvent resume = await resumed;
        Console.WriteLine($"Event {resume.Event.Name} at {resume.Event.Timestamp:T}");

        // An error: QEMU refuses the command, and the task fails with QEMU's error class and message.
        try
        {
            await client.Commands.BlockdevDelAsync(new BlockdevDelArguments { NodeName = "no-such-disk" });
        }
        catch (QmpErrorException e)
        {
            Console.WriteLine($"QEMU said {e.ErrorClass}: {e.Description}");
        }
        #endregion

        var text = output.ToString();
        Assert.That(status.Status, Is.EqualTo(RunState.Prelaunch));
        Assert.That(resume.Event.Name, Is.EqualTo("RESUME"));
        Assert.That(text, Does.Contain("Connected to QEMU " + client.Greeting.Version));
        Assert.That(text, Does.Contain("QEMU said GenericError: ").And.Contain("no-such-disk"));
    }
}
