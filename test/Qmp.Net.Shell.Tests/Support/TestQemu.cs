using Qmp.Net.Qemu;

namespace Qmp.Net.Shell.Tests.Support;

/// <summary>A QEMU for the tests with two QMP monitors: the test drives it through <see cref="Control"/> (to cause
/// events) while the tool connects to <see cref="ToolEndpoint"/>.</summary>
internal sealed class TestQemu : IAsyncDisposable
{
    private TestQemu(QemuProcess process, string directory)
    {
        Process = process;
        Directory = directory;
        ToolEndpoint = "unix:" + Path.Combine(directory, "tool.sock");
    }

    /// <summary>Gets the QEMU process (its client is the control connection).</summary>
    public QemuProcess Process { get; }

    /// <summary>Gets the test's own connection.</summary>
    public QmpClient Control => Process.Client;

    /// <summary>Gets the endpoint the tool connects to.</summary>
    public string ToolEndpoint { get; }

    /// <summary>Gets a private directory for the test's files.</summary>
    public string Directory { get; }

    /// <summary>Starts QEMU (<c>-machine none -S</c>) with the two monitors.</summary>
    /// <returns>The running QEMU.</returns>
    public static async Task<TestQemu> StartAsync()
    {
        Requirements.NeedQemu();
        var directory = System.IO.Directory.CreateTempSubdirectory("qmp-sh-").FullName;
        var control = Path.Combine(directory, "control.sock");
        var process = await QemuProcess.StartAsync(new QemuStartOptions
        {
            Arguments =
            [
                "-machine", "none", "-nodefaults", "-display", "none", "-S", "-name", "shelltest",
                "-qmp", $"unix:{control},server=on,wait=off",
                "-qmp", $"unix:{Path.Combine(directory, "tool.sock")},server=on,wait=off",
            ],
            Endpoint = QmpEndpoint.Unix(control),
        });
        return new TestQemu(process, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
