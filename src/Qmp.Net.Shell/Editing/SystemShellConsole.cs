using System.Threading.Channels;

namespace Qmp.Net.Shell.Editing;

/// <summary>The process's real terminal.</summary>
internal sealed class SystemShellConsole : IShellConsole
{
    private readonly Lazy<ConsoleKeySource> _keys = new(ConsoleKeySource.Start);

    /// <summary>Gets the one instance.</summary>
    public static SystemShellConsole Instance { get; } = new();

    /// <inheritdoc />
    public int WindowWidth => Console.IsOutputRedirected ? 80 : Console.WindowWidth;

    /// <inheritdoc />
    public ChannelReader<ConsoleKeyInfo> ReadKeys() => _keys.Value.Keys;
}
