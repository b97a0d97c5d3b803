using System.Globalization;

namespace Qmp.Net.Shell.Tests.Support;

/// <summary>Reads the process tree from /proc.</summary>
internal static class ProcessTree
{
    /// <summary>Every process below a process (children, their children, ...), with its command name.</summary>
    /// <param name="root">The process id.</param>
    /// <returns>Pid and name of each descendant.</returns>
    public static List<(int Pid, string Name)> Descendants(int root)
    {
        var parents = new Dictionary<int, (int Parent, string Name)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                parents[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), name);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        var result = new List<(int, string)>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            var parent = queue.Dequeue();
            foreach (var (pid, (ppid, name)) in parents)
            {
                if (ppid == parent)
                {
                    result.Add((pid, name));
                    queue.Enqueue(pid);
                }
            }
        }

        return result;
    }

    /// <summary>Tells whether a process exists (and is not a zombie).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns><see langword="true"/> while it runs.</returns>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
