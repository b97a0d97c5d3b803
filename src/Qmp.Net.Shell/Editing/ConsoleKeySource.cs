using System.Threading.Channels;

namespace Qmp.Net.Shell.Editing;

/// <summary>Reads keys from the terminal on a thread of its own and queues them, so the shell can wait for a key, for an
/// event and for a command's answer at the same time, and keys typed ahead during a command are kept for the next line.</summary>
/// <remarks>Ctrl+C arrives as a key (<see cref="Console.TreatControlCAsInput"/>), so it can clear the line instead of
/// ending the process.</remarks>
internal sealed class ConsoleKeySource
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>(new UnboundedChannelOptions { SingleWriter = true });

    private ConsoleKeySource()
    {
    }

    /// <summary>Gets the queued keys.</summary>
    public ChannelReader<ConsoleKeyInfo> Keys => _keys.Reader;

    /// <summary>Starts reading the console's keys.</summary>
    /// <returns>The source.</returns>
    public static ConsoleKeySource Start()
    {
        Console.TreatControlCAsInput = true;
        var source = new ConsoleKeySource();
        var thread = new Thread(source.Run) { IsBackground = true, Name = "qmp key reader" };
        thread.Start();
        return source;
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                _keys.Writer.TryWrite(key);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The terminal went away: end the input.
            _keys.Writer.TryComplete();
        }
    }
}
