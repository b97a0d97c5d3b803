using System.Text.Json;
using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary>Runs commands without the interactive shell: one from the command line, <c>--json</c>, or one per line from
/// standard input; results on standard output, diagnostics on standard error. With <c>-e</c> the events that arrive are
/// printed too, in the order QEMU sent them relative to the results (an event QEMU sent before a reply is printed before
/// that reply's result).</summary>
internal sealed class OneShotMode
{
    private readonly ShellSession _session;
    private readonly ShellIO _io;
    private readonly ShellOptions _options;
    private readonly Palette _out;
    private readonly Palette _err;
    private readonly IRequestValidator? _validator;
    private readonly bool _pretty;
    private readonly object _gate = new();
    private readonly QmpEventSubscription? _events;
    private bool _untilSeen;

    public OneShotMode(ShellSession session, ShellIO io, ShellOptions options, Palette output, Palette error, IRequestValidator? validator)
    {
        _session = session;
        _io = io;
        _options = options;
        _out = output;
        _err = error;
        _validator = validator;
        _pretty = options.Pretty ?? io.OutIsTerminal;

        // Client.Events holds every event since the connection: nothing that came before the first command is missed.
        _events = options.FollowEvents ? session.Client.Events : null;
    }

    /// <summary>Runs one command, prints its result, then (with <c>--until</c> or <c>--linger</c>) the events after it.</summary>
    /// <param name="request">The command.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The exit code: 0, 1 for a QEMU error (or an awaited event that did not come), 2 for a mistake found before
    /// sending or a broken connection.</returns>
    public async Task<int> RunOneAsync(QmpRequest request, CancellationToken cancellationToken)
    {
        var code = await RunAsync(request, cancellationToken).ConfigureAwait(false);
        return code == ExitCodes.Success ? await AfterLastAsync(cancellationToken).ConfigureAwait(false) : code;
    }

    /// <summary>Runs one parsed command and prints its result.</summary>
    /// <param name="request">The command.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The exit code: 0, 1 for a QEMU error, 2 for a mistake found before sending or a broken connection.</returns>
    public async Task<int> RunAsync(QmpRequest request, CancellationToken cancellationToken)
    {
        // A raw JSON command is sent as written: it is the way around a check that is wrong.
        var problems = request.Text.TrimStart().StartsWith('{') ? [] : _validator?.Check(request) ?? [];
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await _io.Error.WriteLineAsync(Reporter.Pointer(problem.Message, request.Text, problem.Position, problem.Length, _err)).ConfigureAwait(false);
            }

            return ExitCodes.UsageOrConnection;
        }

        try
        {
            var result = await RequestRunner.RunAsync(_session.Client, request, cancellationToken).ConfigureAwait(false);
            Print(Format(request, result));
            return ExitCodes.Success;
        }
        catch (QmpErrorException e)
        {
            Print(null);
            await _io.Error.WriteLineAsync(Reporter.Error(e.ErrorClass + ": " + e.Description, _err)).ConfigureAwait(false);
            return ExitCodes.CommandFailed;
        }
        catch (QmpException e)
        {
            Print(null);
            await _io.Error.WriteLineAsync(Reporter.Error($"the connection to {_session.Description} broke: {e.Message}", _err)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
    }

    /// <summary>Formats a result: an HMP command's text as it is (its CRLF line ends made plain), else JSON.</summary>
    /// <param name="request">The command.</param>
    /// <param name="result">Its result.</param>
    /// <param name="pretty">Whether to indent JSON.</param>
    /// <param name="palette">The colours.</param>
    /// <param name="anyHmpAsText">Whether <c>human-monitor-command</c> typed by its QMP name prints text too (the
    /// interactive shell); otherwise only <c>!</c> and <c>-H</c> lines do, and the QMP form keeps its JSON string.</param>
    /// <returns>The text to print, or <see langword="null"/> for an HMP command that printed nothing.</returns>
    public static string? Format(QmpRequest request, JsonElement result, bool pretty, Palette palette, bool anyHmpAsText = false)
    {
        if (request.Command == "human-monitor-command" && result.ValueKind == JsonValueKind.String
            && (anyHmpAsText || request.Text.TrimStart().StartsWith(LineParser.HmpPrefix)))
        {
            var text = result.GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
            return text.Length == 0 ? null : text;
        }

        return pretty ? JsonPainter.Indented(result, palette) : JsonPainter.Compact(result);
    }

    /// <summary>Runs one command per line of standard input (blank lines and lines starting with # are skipped); with
    /// <c>-e</c>, events are printed as they arrive, also while waiting for the next line.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>0 when every line succeeded, else the exit code of the first line that failed; a broken connection stops
    /// at once with 2.</returns>
    public async Task<int> RunLinesAsync(CancellationToken cancellationToken)
    {
        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var follow = _events is null ? Task.CompletedTask : FollowAsync(stopFollowing.Token);
        try
        {
            var exit = await RunLinesCoreAsync(cancellationToken).ConfigureAwait(false);
            if (exit == ExitCodes.UsageOrConnection && !_session.Client.IsConnected)
            {
                return exit;
            }

            await stopFollowing.CancelAsync().ConfigureAwait(false);
            await follow.ConfigureAwait(false);
            var after = await AfterLastAsync(cancellationToken).ConfigureAwait(false);
            return exit != ExitCodes.Success ? exit : after;
        }
        finally
        {
            await stopFollowing.CancelAsync().ConfigureAwait(false);
            await follow.ConfigureAwait(false);
        }
    }

    private async Task<int> RunLinesCoreAsync(CancellationToken cancellationToken)
    {
        var exit = ExitCodes.Success;
        var number = 0;
        while (await _io.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            QmpRequest? request;
            try
            {
                request = _options.Hmp ? LineParser.ParseHmp(line) : LineParser.Parse(line);
            }
            catch (LineParseException e)
            {
                await _io.Error.WriteLineAsync($"line {number}:").ConfigureAwait(false);
                await _io.Error.WriteLineAsync(Reporter.ParseError(e, line, _err)).ConfigureAwait(false);
                exit = exit == ExitCodes.Success ? ExitCodes.UsageOrConnection : exit;
                continue;
            }

            if (request is null)
            {
                continue;
            }

            var code = await RunAsync(request, cancellationToken).ConfigureAwait(false);
            if (code != ExitCodes.Success && exit == ExitCodes.Success)
            {
                exit = code;
            }

            if (!_session.Client.IsConnected)
            {
                return request.Command == "quit" ? exit : ExitCodes.UsageOrConnection;
            }
        }

        return exit;
    }

    private string? Format(QmpRequest request, JsonElement result) => Format(request, result, _pretty, _out);

    /// <summary>Prints the events received so far, then a result (if any), under one lock so that nothing interleaves.</summary>
    private void Print(string? result)
    {
        lock (_gate)
        {
            PrintPendingEventsLocked();
            if (result is not null)
            {
                _io.Out.WriteLine(result);
            }

            _io.Out.Flush();
        }
    }

    private void PrintPendingEventsLocked()
    {
        while (_events is not null && _events.TryRead(out var @event))
        {
            _io.Out.WriteLine(EventsMode.Format(@event, _out));
            _untilSeen |= IsUntil(@event);
        }
    }

    /// <summary>Prints events as they arrive until cancelled. A second subscription only wakes it: the events printed are
    /// taken from <see cref="QmpClient.Events"/> under the output lock, the same place a result's printing takes them from,
    /// so an event QEMU sent before a reply is always printed before that reply's result.</summary>
    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        using var wake = _session.Client.SubscribeEvents();
        try
        {
            while (true)
            {
                await wake.ReadAsync(cancellationToken).ConfigureAwait(false);
                while (wake.TryRead(out _))
                {
                }

                Print(null);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is QmpException or System.Threading.Channels.ChannelClosedException or IOException)
        {
            // The connection ended (or the output closed): nothing more to follow.
        }
    }

    /// <summary>After the last command: print the events still buffered, then wait for <c>--until</c>'s event or for
    /// <c>--linger</c> to pass.</summary>
    private async Task<int> AfterLastAsync(CancellationToken cancellationToken)
    {
        if (_events is null)
        {
            return ExitCodes.Success;
        }

        // An event already printed (QEMU may send it before the reply) or still buffered may be the awaited one.
        var until = _options.Until;
        lock (_gate)
        {
            PrintPendingEventsLocked();
            _io.Out.Flush();
            if (_untilSeen)
            {
                return ExitCodes.Success;
            }
        }

        if (_options.Linger is not { } linger || linger <= TimeSpan.Zero)
        {
            return until is null ? ExitCodes.Success : await NotArrivedAsync(until, TimeSpan.Zero).ConfigureAwait(false);
        }

        using var timer = new CancellationTokenSource(linger, _io.Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            while (true)
            {
                var @event = await _events.ReadAsync(deadline.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    _io.Out.WriteLine(EventsMode.Format(@event, _out));
                    _io.Out.Flush();
                }

                if (IsUntil(@event))
                {
                    return ExitCodes.Success;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return until is null ? ExitCodes.Success : await NotArrivedAsync(until, linger).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is QmpException or System.Threading.Channels.ChannelClosedException)
        {
            if (until is null)
            {
                return ExitCodes.Success;
            }

            await _io.Error.WriteLineAsync(Reporter.Error($"the connection closed before a '{until}' event came", _err)).ConfigureAwait(false);
            return ExitCodes.CommandFailed;
        }
    }

    private bool IsUntil(QmpEvent @event) => _options.Until is { } until && MatchesUntil(@event.Name, @event.Data, until);

    /// <summary>Whether an event is the one <c>--until</c> waits for: <c>NAME</c>, optionally followed by <c>key=value</c>
    /// words that members of its data must match (a string member by its text, others by their JSON), e.g.
    /// <c>JOB_STATUS_CHANGE status=concluded id=j0</c>.</summary>
    /// <param name="name">The event's name.</param>
    /// <param name="data">Its data.</param>
    /// <param name="until">What <c>--until</c> says.</param>
    /// <returns>Whether it matches.</returns>
    public static bool MatchesUntil(string name, JsonElement data, string until)
    {
        var words = until.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !string.Equals(name, words[0], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var word in words.Skip(1))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || data.ValueKind != JsonValueKind.Object || !data.TryGetProperty(word[..equals], out var member))
            {
                return false;
            }

            var text = member.ValueKind == JsonValueKind.String ? member.GetString() : member.GetRawText();
            if (!string.Equals(text, word[(equals + 1)..], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<int> NotArrivedAsync(string until, TimeSpan linger)
    {
        await _io.Error.WriteLineAsync(Reporter.Error($"no '{until}' event within {linger.TotalSeconds:0.###} s", _err)).ConfigureAwait(false);
        return ExitCodes.CommandFailed;
    }
}
