using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Qmp.Net.Shell.Cli;
using Qmp.Net.Shell.Completion;
using Qmp.Net.Shell.Editing;
using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Jobs;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Interactive;

/// <summary>The interactive shell: reads lines with the line editor, runs them, prints results, errors and events, keeps
/// the prompt current and shows the progress of jobs.</summary>
internal sealed class InteractiveShell
{
    private const string HelpText =
        """
        Type commands as in qmp-shell:
          COMMAND key=value ...          device_add driver=virtio-net-pci id=nic0
          values                         JSON where they are JSON (true, 3, [1,2], {"a":1}, "text"), 'text' as is, else text
          dotted keys                    blockdev-add driver=qcow2 node-name=d0 file.driver=file file.filename=/tmp/d.qcow2
          {"execute": ...}               a raw JSON command, sent as written (not checked against the schema)
          !HMP COMMAND                   the human monitor, e.g. !info status
          transaction( A k=v, B k=v )    several actions in one transaction
          max-bandwidth=4M               K/M/G/T suffixes (powers of 1024) on members of QAPI type size
        Shell commands:
          help [COMMAND]                 this text, or the arguments of one command
          schema [NAME]                  a command, event or type as the connected QEMU describes it
          jobs                           block jobs and migration, with their progress
          exit                           leave (Ctrl+D does too)
        Keys: Tab completes; Up/Down and Ctrl+R search the history; Left/Right, Home/End, Ctrl+A/E, Alt+B/F move;
        Ctrl+W/U/K delete (Ctrl+Y puts it back); Ctrl+C clears the line or stops waiting; Ctrl+L clears the screen.
        """;

    private readonly ShellSession _session;
    private readonly QmpClient _client;
    private readonly IRequestValidator? _validator;
    private readonly Palette _palette;
    private readonly Terminal _terminal;
    private readonly ChannelReader<ConsoleKeyInfo> _keys;
    private readonly bool _hmp;
    private readonly History _history;
    private readonly LineEditor _editor;
    private readonly PromptState _prompt = new();
    private readonly ShellContext _context;
    private readonly JobWatcher _jobs;
    private int _statusRefreshes;
    private int _pumpBusy;
    private TaskCompletionSource _pumpProgress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private InteractiveShell(ShellSession session, ShellContext context, IRequestValidator? validator, Palette palette, ShellIO io, Terminal terminal, bool hmp)
    {
        _session = session;
        _client = session.Client;
        _context = context;
        _validator = validator;
        _palette = palette;
        _keys = io.Console.ReadKeys();
        _terminal = terminal;
        _hmp = hmp;
        _history = new History(History.DefaultPath(io.GetEnvironment));

        // HMP command lines are not QMP: the schema's completion would offer the wrong words.
        _editor = new LineEditor(_history, hmp ? null : context.Completer);
        _jobs = new JobWatcher(_client);
    }

    /// <summary>Runs the shell until Ctrl+D, <c>exit</c>, the end of the connection, or a termination signal.</summary>
    /// <param name="session">The connection.</param>
    /// <param name="options">The command line.</param>
    /// <param name="validator">Checks lines before sending, or <see langword="null"/>.</param>
    /// <param name="echo">The <c>-v</c> echo of the wire, or <see langword="null"/>; it is printed above the input line.</param>
    /// <param name="io">The standard streams and the terminal (keys, width).</param>
    /// <param name="cancellationToken">Cancelled by SIGINT/SIGTERM.</param>
    /// <returns>The exit code (0).</returns>
    public static async Task<int> RunAsync(ShellSession session, ShellOptions options, IRequestValidator? validator, WireEcho? echo, ShellIO io, CancellationToken cancellationToken)
    {
        var palette = Palette.Choose(io.OutIsTerminal, options.NoColor, io.GetEnvironment);
        var console = io.Console;
        var terminal = new Terminal(io.Out, () => console.WindowWidth);
        ShellContext context;
        using (echo?.Mute())
        {
            context = await ShellContext.CreateAsync(session.Client, palette, () => console.WindowWidth, cancellationToken).ConfigureAwait(false);
        }

        echo?.Redirect(terminal.WriteAbove);
        var shell = new InteractiveShell(session, context, validator, palette, io, terminal, options.Hmp);
        return await shell.RunCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> RunCoreAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var version = _client.Greeting?.Version is { } v ? $"{v.Major}.{v.Minor}.{v.Micro}" : "?";
        _terminal.WriteAbove(_palette.Paint(_palette.Dim, $"QEMU {version}, {_session.Description}. 'help' for help, Tab completes, Ctrl+D leaves."));
        if (_history.LoadError is { } historyError)
        {
            _terminal.WriteAbove(_palette.Paint(_palette.Dim, "History is not kept: " + historyError));
        }

        await RefreshPromptAsync(withName: true, stop.Token).ConfigureAwait(false);
        var events = PumpEventsAsync(stop);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var line = await ReadLineAsync(stop.Token).ConfigureAwait(false);
                if (line is null)
                {
                    break;
                }

                _history.Add(line);
                if (!await RunLineAsync(line, stop.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _terminal.Commit(string.Empty);
        }

        if (!_client.IsConnected)
        {
            _terminal.WriteAbove(_palette.Paint(_palette.Dim, "The connection to QEMU has ended."));
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await events.ConfigureAwait(false);
        await _jobs.DisposeAsync().ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        _editor.Reset();
        _terminal.SetLive(RenderInput);
        while (true)
        {
            ConsoleKeyInfo key;
            try
            {
                key = await _keys.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                _terminal.Commit(Prompt().Text + _editor.Text);
                return null;
            }

            switch (_editor.Handle(key))
            {
                case EditorResult.Submit:
                    var line = _editor.Text;
                    _terminal.Commit(Prompt().Text + line);
                    return line;
                case EditorResult.EndOfInput:
                    _terminal.Commit(Prompt().Text);
                    return null;
                case EditorResult.Interrupted:
                    _terminal.Commit(Prompt().Text + _editor.Text + _palette.Paint(_palette.Dim, "^C"));
                    _editor.Reset();
                    _terminal.SetLive(RenderInput);
                    break;
                case EditorResult.ClearScreen:
                    _terminal.ClearScreen();
                    break;
                case EditorResult.ShowCandidates:
                    _terminal.WriteAbove(Columns(_editor.Candidates, _terminal.Width));
                    break;
                default:
                    _terminal.Refresh();
                    break;
            }
        }
    }

    private LiveView RenderInput(int width)
    {
        var (text, promptWidth) = Prompt();
        return _editor.Render(text, promptWidth, width);
    }

    private (string Text, int Width) Prompt() => _prompt.Render(_palette);

    /// <summary>Runs one line; returns false when the shell should end.</summary>
    private async Task<bool> RunLineAsync(string line, CancellationToken cancellationToken)
    {
        var trimmed = line.Trim();
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        var word = space < 0 ? trimmed : trimmed[..space];
        var rest = space < 0 ? string.Empty : trimmed[(space + 1)..].Trim();
        switch (word)
        {
            case "exit":
                return false;
            case "help" when rest.Length == 0:
                _terminal.WriteAbove(HelpText);
                return true;
            case "help":
                _terminal.WriteAbove(_context.Describe(rest));
                return true;
            case "schema":
                _terminal.WriteAbove(rest.Length == 0 ? _context.Overview() : _context.Describe(rest));
                return true;
            case "jobs":
                await ShowJobsAsync(cancellationToken).ConfigureAwait(false);
                return true;
        }

        QmpRequest? request;
        try
        {
            request = _hmp ? LineParser.ParseHmp(line) : LineParser.Parse(line);
        }
        catch (LineParseException e)
        {
            _terminal.WriteAbove(Reporter.ParseError(e, line, _palette));
            return true;
        }

        if (request is null)
        {
            return true;
        }

        if (!request.Text.TrimStart().StartsWith('{') && _validator?.Check(request) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                _terminal.WriteAbove(Reporter.Pointer(problem.Message, request.Text, problem.Position, problem.Length, _palette));
            }

            return true;
        }

        var startsJob = JobWatcher.StartsJob(request.Command);
        var before = startsJob ? await _jobs.SnapshotIdsAsync(cancellationToken).ConfigureAwait(false) : null;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var interrupt = WatchForInterruptAsync(wait);
        try
        {
            var result = await RequestRunner.RunAsync(_client, request, wait.Token).ConfigureAwait(false);
            await WaitForEventsPrintedAsync().ConfigureAwait(false);
            if (OneShotMode.Format(request, result, pretty: true, _palette, anyHmpAsText: true) is { } text)
            {
                _terminal.WriteAbove(text);
            }
        }
        catch (QmpErrorException e)
        {
            _terminal.WriteAbove(Reporter.QmpError(e, _palette));
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _terminal.WriteAbove(_palette.Paint(_palette.Dim, "^C: stopped waiting (QEMU may still carry the command out)"));
            return true;
        }
        catch (QmpException e)
        {
            _terminal.WriteAbove(Reporter.Error("the connection broke: " + e.Message, _palette));
            return false;
        }
        finally
        {
            await wait.CancelAsync().ConfigureAwait(false);
            await interrupt.ConfigureAwait(false);
        }

        if (startsJob)
        {
            await ShowProgressAsync(request, before!, cancellationToken).ConfigureAwait(false);
        }
        else if (request.Command == "migrate")
        {
            await ShowMigrationAsync(cancellationToken).ConfigureAwait(false);
        }

        return _client.IsConnected || request.Command != "quit";
    }

    /// <summary>Lets the event task print the events that came before a command's answer (QEMU sends RESUME before the
    /// answer to <c>cont</c>), so the screen shows them in QEMU's order; bounded, so a flood of events cannot hold the
    /// answer back for long.</summary>
    private async Task WaitForEventsPrintedAsync()
    {
        for (var round = 0; round < 100 && (_client.Events.Count > 0 || Volatile.Read(ref _pumpBusy) == 1); round++)
        {
            await Task.WhenAny(Volatile.Read(ref _pumpProgress).Task, Task.Delay(10)).ConfigureAwait(false);
        }
    }

    /// <summary>While a command runs, Ctrl+C (typed before any other key) stops waiting for it.</summary>
    private async Task WatchForInterruptAsync(CancellationTokenSource wait)
    {
        try
        {
            while (await _keys.WaitToReadAsync(wait.Token).ConfigureAwait(false))
            {
                if (_keys.TryPeek(out var key) && key.KeyChar == '\u0003')
                {
                    _keys.TryRead(out _);
                    await wait.CancelAsync().ConfigureAwait(false);
                }

                return;
            }
        }
        catch (OperationCanceledException)
        {
            // The command finished.
        }
    }

    private async Task ShowProgressAsync(QmpRequest request, IReadOnlySet<string> before, CancellationToken cancellationToken)
    {
        var jobs = await _jobs.NewJobsAsync(request, before, cancellationToken).ConfigureAwait(false);
        if (jobs.Count == 0)
        {
            return;
        }

        var display = new ProgressDisplay(_terminal, _palette, _keys);
        await display.RunAsync(jobs.Select(job => (IProgressSource)new JobProgressSource(_jobs, job)).ToList(), cancellationToken).ConfigureAwait(false);
    }

    private async Task ShowMigrationAsync(CancellationToken cancellationToken)
    {
        var display = new ProgressDisplay(_terminal, _palette, _keys);
        await display.RunAsync([new MigrationProgressSource(_client)], cancellationToken).ConfigureAwait(false);
    }

    private async Task ShowJobsAsync(CancellationToken cancellationToken)
    {
        try
        {
            _terminal.WriteAbove(await JobsTable.RenderAsync(_client, _jobs, _palette, _terminal.Width, cancellationToken).ConfigureAwait(false));
        }
        catch (QmpErrorException e)
        {
            _terminal.WriteAbove(Reporter.QmpError(e, _palette));
        }
    }

    private async Task PumpEventsAsync(CancellationTokenSource stop)
    {
        await Task.Yield();
        try
        {
            await foreach (var @event in _client.Events.WithCancellation(stop.Token).ConfigureAwait(false))
            {
                Volatile.Write(ref _pumpBusy, 1);
                _jobs.OnEvent(@event);
                _terminal.WriteAbove(FormatEvent(@event));
                if (ChangesRunState(@event.Name))
                {
                    _ = RefreshPromptAsync(withName: false, stop.Token);
                }

                Volatile.Write(ref _pumpBusy, 0);
                Interlocked.Exchange(ref _pumpProgress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (QmpException)
        {
            // The connection broke; handled below.
        }

        _prompt.Status = "disconnected";
        _terminal.Refresh();
        await stop.CancelAsync().ConfigureAwait(false);
    }

    private static bool ChangesRunState(string name) => name is "STOP" or "RESUME" or "RESET" or "SHUTDOWN" or "SUSPEND"
        or "SUSPEND_DISK" or "WAKEUP" or "GUEST_PANICKED" or "GUEST_CRASHLOADED" or "POWERDOWN" or "MIGRATION" or "WATCHDOG";

    private async Task RefreshPromptAsync(bool withName, CancellationToken cancellationToken)
    {
        // Refreshes may overlap when events come in a burst: only the last one started writes its answer.
        var refresh = Interlocked.Increment(ref _statusRefreshes);
        try
        {
            if (withName)
            {
                var name = await _client.ExecuteAsync("query-name", cancellationToken: cancellationToken).ConfigureAwait(false);
                _prompt.Name = name.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            }

            var status = await _client.ExecuteAsync("query-status", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (refresh == Volatile.Read(ref _statusRefreshes) && status.TryGetProperty("status", out var s))
            {
                _prompt.Status = s.GetString() ?? "?";
            }
        }
        catch (QmpErrorException)
        {
            // Not a system emulator (qemu-storage-daemon has no query-status): keep the prompt without a state.
            _prompt.Status = "-";
        }
        catch (Exception e) when (e is QmpException or OperationCanceledException)
        {
            return;
        }

        _terminal.Refresh();
    }

    private string FormatEvent(QmpEvent @event)
    {
        var time = @event.Timestamp == DateTimeOffset.MinValue
            ? "--:--:--.---"
            : @event.Timestamp.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var data = @event.Data.ValueKind == JsonValueKind.Object && !@event.Data.EnumerateObject().Any()
            ? string.Empty
            : " " + JsonPainter.CompactPainted(@event.Data, _palette);
        return _palette.Paint(_palette.Dim, "[" + time + "]") + " " + _palette.Paint(_palette.EventName, @event.Name) + data;
    }

    private static string Columns(IReadOnlyList<string> candidates, int width)
    {
        const int Limit = 200;
        var names = candidates.Select(c => c.TrimEnd()).Take(Limit).ToList();
        var column = names.Max(n => n.Length) + 2;
        var perRow = Math.Max(1, (width - 1) / column);
        var rows = (names.Count + perRow - 1) / perRow;
        var text = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < perRow; c++)
            {
                var i = (c * rows) + r;
                if (i < names.Count)
                {
                    text.Append(names[i].PadRight(c == perRow - 1 ? 0 : column));
                }
            }

            text.Append('\n');
        }

        if (candidates.Count > Limit)
        {
            text.Append(CultureInfo.InvariantCulture, $"... and {candidates.Count - Limit} more\n");
        }

        return text.ToString().TrimEnd('\n');
    }
}
