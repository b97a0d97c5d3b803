using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Qmp.Net.Shell.Input;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Cli;

/// <summary>The <c>qmp</c> command line: parses it with System.CommandLine and runs the mode it asks for.</summary>
internal static class QmpCli
{
    private const string Usage =
        """
        qmp: a shell and a scriptable command line for the QEMU Machine Protocol.

          qmp ENDPOINT                              interactive shell (commands from standard input when it is not a terminal)
          qmp ENDPOINT COMMAND [key=value ...]      run one command, print its result as JSON
          qmp ENDPOINT --json '{"execute": ...}'    run one raw JSON command
          qmp ENDPOINT events [--count N] [--name NAME]   print events as JSON lines
          qmp ENDPOINT schema [COMMAND|EVENT|TYPE]  describe what the connected QEMU accepts
          qmp --launch [COMMAND ...] [-- QEMU-ARGUMENTS]  start QEMU (default: -machine none -nodefaults -display none -S)

        ENDPOINT: unix:/path, /path, tcp:host:port, host:port or [::1]:port.
        Exit codes: 0 success, 1 QEMU answered with an error, 2 wrong input or no connection.
        """;

    /// <summary>Runs the tool.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="io">The standard streams.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, ShellIO io)
    {
        // Everything after the first "--" belongs to QEMU; System.CommandLine never sees it.
        var split = Array.IndexOf(args, "--");
        var ownArgs = split < 0 ? args : args[..split];
        var qemuArgs = split < 0 ? [] : args[(split + 1)..];

        var words = new Argument<string[]>("words")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "ENDPOINT, then a COMMAND with key=value arguments, 'events' or 'schema [NAME]' (no ENDPOINT with --launch).",
        };
        var json = new Option<string?>("--json") { Description = "Run this raw JSON command, e.g. '{\"execute\": \"query-status\"}'.", HelpName = "JSON" };
        var launch = new Option<bool>("--launch") { Description = "Start a QEMU (arguments after --) and work on it; it is stopped when qmp ends." };
        var qemu = new Option<string>("--qemu")
        {
            Description = "The QEMU binary for --launch.",
            DefaultValueFactory = _ => Qemu.QemuStartOptions.DefaultBinary,
            HelpName = "BINARY",
        };
        var count = new Option<int?>("--count") { Description = "events: stop after N events.", HelpName = "N" };
        var name = new Option<string[]>("--name")
        {
            Description = "events: print only events of this name (repeatable).",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var noColor = new Option<bool>("--no-color") { Description = "No colours (also when NO_COLOR is set or the output is not a terminal)." };
        var noValidate = new Option<bool>("--no-validate") { Description = "Send commands without checking them against the schema first." };
        var timeout = new Option<double>("--connect-timeout")
        {
            Description = "Seconds to wait for the connection.",
            DefaultValueFactory = _ => 10,
            HelpName = "SECONDS",
        };

        var root = new RootCommand(Usage) { words, json, launch, qemu, count, name, noColor, noValidate, timeout };
        root.SetAction((result, cancellationToken) =>
        {
            var options = new ShellOptions
            {
                Words = result.GetValue(words) ?? [],
                Launch = result.GetValue(launch),
                QemuBinary = result.GetValue(qemu) ?? Qemu.QemuStartOptions.DefaultBinary,
                QemuArguments = qemuArgs,
                Json = result.GetValue(json),
                Count = result.GetValue(count),
                EventNames = result.GetValue(name) ?? [],
                NoColor = result.GetValue(noColor),
                NoValidate = result.GetValue(noValidate),
                ConnectTimeout = TimeSpan.FromSeconds(Math.Max(0.1, result.GetValue(timeout))),
            };
            return DispatchAsync(options, split >= 0, io, cancellationToken);
        });

        var parse = root.Parse(ownArgs, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            var palette = Palette.Choose(io.ErrorIsTerminal, false, io.GetEnvironment);
            foreach (var error in parse.Errors)
            {
                await io.Error.WriteLineAsync(Reporter.Error(error.Message, palette)).ConfigureAwait(false);
            }

            await io.Error.WriteLineAsync("Try 'qmp --help'.").ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }

        // SIGINT, SIGTERM and SIGHUP (a closed terminal) cancel the mode, which then closes the connection and stops a
        // launched QEMU however long that takes; a second signal ends the process at once. System.CommandLine's own
        // handling is off because it ends the process after a fixed timeout, which could leave a launched QEMU behind.
        using var stop = new CancellationTokenSource();
        var signals = new List<PosixSignalRegistration>();
        if (!OperatingSystem.IsWindows())
        {
            foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
            {
                signals.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = !stop.IsCancellationRequested;
                    stop.Cancel();
                }));
            }
        }

        try
        {
            return await parse.InvokeAsync(
                new InvocationConfiguration { Output = io.Out, Error = io.Error, ProcessTerminationTimeout = null },
                stop.Token).ConfigureAwait(false);
        }
        finally
        {
            signals.ForEach(s => s.Dispose());
        }
    }

    private static async Task<int> DispatchAsync(ShellOptions options, bool hadSeparator, ShellIO io, CancellationToken cancellationToken)
    {
        var outPalette = Palette.Choose(io.OutIsTerminal, options.NoColor, io.GetEnvironment);
        var errPalette = Palette.Choose(io.ErrorIsTerminal, options.NoColor, io.GetEnvironment);

        async Task<int> UsageError(string message)
        {
            await io.Error.WriteLineAsync(Reporter.Error(message, errPalette)).ConfigureAwait(false);
            await io.Error.WriteLineAsync("Try 'qmp --help'.").ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }

        if (hadSeparator && !options.Launch)
        {
            return await UsageError("arguments after -- are for QEMU and need --launch").ConfigureAwait(false);
        }

        var words = options.Words;
        QmpEndpoint? endpoint = null;
        if (!options.Launch)
        {
            if (words.Count == 0)
            {
                return await UsageError("an ENDPOINT is needed (unix:/path/to/qmp.sock, host:port), or --launch").ConfigureAwait(false);
            }

            if (!QmpEndpoint.TryParse(words[0], out endpoint))
            {
                return await UsageError(
                    $"'{words[0]}' is not a QMP endpoint; use unix:/path, /absolute/path, tcp:host:port, host:port or [::1]:port").ConfigureAwait(false);
            }

            words = words.Skip(1).ToList();
        }

        var mode = words.Count == 0 ? null : words[0];
        if ((options.Count is not null || options.EventNames.Count > 0) && mode != "events")
        {
            return await UsageError("--count and --name belong to 'events'").ConfigureAwait(false);
        }

        if (options.Count < 0)
        {
            return await UsageError("--count must be 0 or more").ConfigureAwait(false);
        }

        if (options.Json is not null && words.Count > 0)
        {
            return await UsageError("--json takes the whole command; give no COMMAND words with it").ConfigureAwait(false);
        }

        if (mode == "events" && words.Count > 1)
        {
            return await UsageError("events takes no words; use --count N and --name NAME").ConfigureAwait(false);
        }

        // Parse the command before connecting, so that a typing mistake does not cost a connection.
        QmpRequest? request = null;
        try
        {
            if (options.Json is { } raw)
            {
                if (!raw.TrimStart().StartsWith('{'))
                {
                    return await UsageError("--json needs a JSON object: '{\"execute\": \"COMMAND\", \"arguments\": {...}}'").ConfigureAwait(false);
                }

                request = LineParser.Parse(raw);
            }
            else if (mode is not null and not "events" and not "schema")
            {
                request = LineParser.ParseWords(words[0], words.Skip(1).ToList());
            }
        }
        catch (LineParseException e)
        {
            var text = options.Json ?? string.Join(' ', words);
            await io.Error.WriteLineAsync(Reporter.ParseError(e, text, errPalette)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }

        ShellSession session;
        try
        {
            session = await ShellSession.OpenAsync(options, endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is QmpException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var target = options.Launch ? options.QemuBinary : endpoint!.ToString();
            await io.Error.WriteLineAsync(Reporter.Error(Reporter.ConnectFailure(target, e), errPalette)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.UsageOrConnection;
        }

        await using (session.ConfigureAwait(false))
        {
            // The schema is read (once per connection) only where commands are checked; a raw JSON command goes out as written.
            var checks = !options.NoValidate && mode is not "events" and not "schema" && options.Json is null;
            var validator = checks ? await Validation.CreateAsync(session.Client, cancellationToken).ConfigureAwait(false) : null;
            if (request is not null)
            {
                var oneShot = new OneShotMode(session, io, outPalette, errPalette, validator);
                return await oneShot.RunAsync(request, cancellationToken).ConfigureAwait(false);
            }

            switch (mode)
            {
                case "events":
                    return await EventsMode.RunAsync(session, options, io, outPalette, cancellationToken).ConfigureAwait(false);
                case "schema":
                    return await SchemaMode.RunAsync(session, words.Count > 1 ? string.Join(' ', words.Skip(1)) : null, io, outPalette, errPalette, cancellationToken).ConfigureAwait(false);
            }

            if (!io.InIsTerminal)
            {
                var lines = new OneShotMode(session, io, outPalette, errPalette, validator);
                return await lines.RunLinesAsync(cancellationToken).ConfigureAwait(false);
            }

            return await Interactive.InteractiveShell.RunAsync(session, options, validator, cancellationToken).ConfigureAwait(false);
        }
    }
}
