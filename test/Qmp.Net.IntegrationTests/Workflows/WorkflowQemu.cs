using System.Diagnostics;
using System.Text.Json.Nodes;
using Qmp.Net.Qemu;

namespace Qmp.Net.IntegrationTests.Workflows;

/// <summary>Starts QEMUs of one generation for the workflow tests, with images made by <c>qemu-img</c> in a private directory.</summary>
internal sealed class WorkflowQemu(QemuGeneration generation) : IAsyncDisposable
{
    private readonly List<QemuProcess> _started = [];

    public string Directory { get; } = QemuFixture.CreatePrivateDirectory();

    /// <summary>Starts QEMU with <paramref name="arguments"/> (and <c>-L</c> for the unpacked 10.0); no machine is implied.</summary>
    public async Task<QemuProcess> StartAsync(params string[] arguments)
    {
        var binary = generation.Require();
        IReadOnlyList<string> prefix = generation.Label == "10.0"
            ? ["-L", Path.GetFullPath(Path.Combine(Path.GetDirectoryName(binary)!, "..", "share", "qemu"))]
            : [];
        var process = await QemuProcess.StartAsync(new QemuStartOptions { Binary = binary, Arguments = [.. prefix, .. arguments] })
            .WaitAsync(TimeSpan.FromSeconds(30));
        QemuFixture.Track(process);
        _started.Add(process);
        return process;
    }

    /// <summary>A monitor-only QEMU (<c>-machine none -S</c>).</summary>
    public Task<QemuProcess> StartMonitorOnlyAsync() => StartAsync([.. QemuFixture.MonitorOnly]);

    /// <summary>Creates an image with <c>qemu-img create</c>, optionally filled at its start with <c>qemu-io</c>.</summary>
    public async Task<string> CreateImageAsync(string name, string format, string size, string? fill = null)
    {
        var path = Path.Combine(Directory, name);
        await RunToolAsync("qemu-img", "create", "-q", "-f", format, path, size);
        if (fill is not null)
        {
            await RunToolAsync("qemu-io", "-f", format, "-c", $"write -P 0xa5 0 {fill}", path);
        }

        return path;
    }

    /// <summary>A qcow2 (or raw) node over a file, as <c>blockdev-add</c> arguments.</summary>
    public static JsonObject Node(string nodeName, string path, string format = "qcow2") => new()
    {
        ["node-name"] = nodeName,
        ["driver"] = format,
        ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = path },
    };

    public static async Task RunToolAsync(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stdout;
        Assert.That(process.ExitCode, Is.Zero, $"{tool} {string.Join(' ', arguments)} failed: {stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _started)
        {
            await process.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
