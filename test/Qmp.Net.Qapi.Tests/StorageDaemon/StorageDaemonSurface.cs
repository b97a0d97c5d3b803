using System.Reflection;
using Qmp.Net.Qapi.Tests.Support;
using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests.StorageDaemon;

/// <summary>The public methods of <see cref="StorageDaemonCommands"/> by the wire name of their command (through the
/// generator's model, which names each command's method once), and where the daemons are.</summary>
internal static class StorageDaemonSurface
{
    private static readonly Lazy<Dictionary<string, MethodInfo>> s_methods = new(() =>
    {
        var byMethod = ModelBuilder.Build(new Superset(QapiGen.Generator.LoadSchemas(RepositoryPaths.Schemas))).Commands.ToDictionary(c => c.Method, c => c.Name, StringComparer.Ordinal);
        return typeof(StorageDaemonCommands).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal))
            .ToDictionary(m => byMethod[m.Name], StringComparer.Ordinal);
    });

    /// <summary>Gets the methods by command name.</summary>
    public static IReadOnlyDictionary<string, MethodInfo> Methods => s_methods.Value;

    /// <summary>The daemon of a generation: Debian's 7.2 on PATH, the 10.0.2 that .ci/storage10.sh unpacks
    /// (<c>QMP_STORAGE_DAEMON10</c>, or <c>${QMP_CACHE_DIR:-/var/cache/qmp-net}/qemu-utils-10.0.2</c>); ignores or fails
    /// (<c>QMP_REQUIRE_QEMU=1</c>, as in CI) when it is missing.</summary>
    public static string Require(string label)
    {
        string? daemon;
        if (label == "10.0")
        {
            var cache = Environment.GetEnvironmentVariable("QMP_CACHE_DIR") is { Length: > 0 } c ? c : "/var/cache/qmp-net";
            daemon = Environment.GetEnvironmentVariable("QMP_STORAGE_DAEMON10") is { Length: > 0 } set ? set : Path.Combine(cache, "qemu-utils-10.0.2", "usr", "bin", "qemu-storage-daemon");
        }
        else
        {
            daemon = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, "qemu-storage-daemon")).FirstOrDefault(File.Exists);
        }

        if (daemon is not null && File.Exists(daemon))
        {
            return daemon;
        }

        var message = $"qemu-storage-daemon {label} was not found (7.2: 'apt-get install qemu-system-common'; 10.0: 'bash .ci/storage10.sh').";
        if (Environment.GetEnvironmentVariable("QMP_REQUIRE_QEMU") == "1")
        {
            Assert.Fail(message + " (QMP_REQUIRE_QEMU=1)");
        }

        Assert.Ignore(message);
        return null!;
    }
}
