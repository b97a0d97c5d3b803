using System.Globalization;
using System.Text.Json;

namespace Qmp.Net.Qemu;

/// <summary>What a <see cref="QemuLifetime.Detached"/> QEMU's state directory records so that a later process can find it
/// again and be sure it is the same process: <c>qemu.json</c>, mode 0600, replaced atomically.</summary>
internal sealed record QemuStateFile(int Pid, long StartTime, string Binary, string Socket, IReadOnlyDictionary<string, string> ExtraMonitors)
{
    public const string FileName = "qemu.json";

    public static QemuStateFile Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var extras = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("extraMonitors", out var monitors))
        {
            foreach (var monitor in monitors.EnumerateObject())
            {
                extras[monitor.Name] = monitor.Value.GetString() ?? string.Empty;
            }
        }

        return new QemuStateFile(
            root.GetProperty("pid").GetInt32(),
            root.GetProperty("startTime").GetInt64(),
            root.GetProperty("binary").GetString() ?? string.Empty,
            root.GetProperty("socket").GetString() ?? string.Empty,
            extras);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Write(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("pid", Pid);
            writer.WriteNumber("startTime", StartTime);
            writer.WriteString("binary", Binary);
            writer.WriteString("socket", Socket);
            writer.WriteStartObject("extraMonitors");
            foreach (var (name, socket) in ExtraMonitors)
            {
                writer.WriteString(name, socket);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a process's start time (clock ticks since boot, field 22 of <c>/proc/PID/stat</c>); null when the
    /// process is gone or a zombie.</summary>
    public static long? ReadStartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X")
        {
            return null;
        }

        return long.Parse(fields[19], CultureInfo.InvariantCulture);
    }
}
