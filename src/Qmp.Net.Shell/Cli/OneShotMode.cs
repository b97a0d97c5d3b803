using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary>Runs commands without the interactive shell: one from the command line, <c>--json</c>, or one per line from
/// standard input; results on standard output, diagnostics on standard error.</summary>
internal sealed class OneShotMode
{
    private readonly ShellSession _session;
    private readonly ShellIO _io;
    private readonly Palette _out;
    private readonly Palette _err;
    private readonly IRequestValidator? _validator;

    public OneShotMode(ShellSession session, ShellIO io, Palette output, Palette error, IRequestValidator? validator)
    {
        _session = session;
        _io = io;
        _out = output;
        _err = error;
        _validator = validator;
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
            var text = _io.OutIsTerminal ? JsonPainter.Indented(result, _out) : JsonPainter.Compact(result);
            await _io.Out.WriteLineAsync(text).ConfigureAwait(false);
            await _io.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (QmpErrorException e)
        {
            await _io.Error.WriteLineAsync(Reporter.Error(e.ErrorClass + ": " + e.Description, _err)).ConfigureAwait(false);
            return ExitCodes.CommandFailed;
        }
        catch (QmpException e)
        {
            await _io.Error.WriteLineAsync(Reporter.Error($"the connection to {_session.Description} broke: {e.Message}", _err)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
    }

    /// <summary>Runs one command per line of standard input (blank lines and lines starting with # are skipped).</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>0 when every line succeeded, else the exit code of the first line that failed; a broken connection stops
    /// at once with 2.</returns>
    public async Task<int> RunLinesAsync(CancellationToken cancellationToken)
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
                request = LineParser.Parse(line);
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
}
