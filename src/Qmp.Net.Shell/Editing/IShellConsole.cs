using System.Threading.Channels;

namespace Qmp.Net.Shell.Editing;

/// <summary>What the interactive shell needs of a terminal besides its output stream (which is <see cref="Cli.ShellIO.Out"/>):
/// the keys typed and the window's width. The cursor is not asked of the terminal: <see cref="Terminal"/> tracks it itself.
/// Tests pass their own, so the interactive shell runs without a terminal.</summary>
internal interface IShellConsole
{
    /// <summary>Gets the terminal's width in columns.</summary>
    int WindowWidth { get; }

    /// <summary>Starts reading keys (Ctrl+C arriving as a key) and returns them as they are typed; the reader completes
    /// when the terminal goes away.</summary>
    /// <returns>The keys.</returns>
    ChannelReader<ConsoleKeyInfo> ReadKeys();
}
