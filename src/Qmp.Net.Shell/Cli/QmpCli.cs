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
          qmp ENDPOINT !HMP-COMMAND ...             run one human monitor command, print its text (or -H: every command)
          qmp ENDPOINT --json '{"execute": ...}'    run one raw JSON command
          qmp ENDPOINT events [--count N] [--name NAME]   print events as JSON lines
          qmp ENDPOINT schema [COMMAND|EVENT|TYPE]  describe what the connected QEMU accepts
          qmp ENDPOINT wait job ID [--complete] | wait migration   wait for a job or a migration to end
          qmp --launch [COMMAND ...] [-- QEMU-ARGUMENTS]  start QEMU (default: -machine none -nodefaults -display none -S)

        ENDPOINT: unix:/path, /path, tcp:host:port, host:port or [::1]:port.
        Exit codes: 0 success, 1 QEMU answered with an error (or the awaited job or migration failed), 2 wrong input or no connection.
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

        var endpoint = new Argument<string?>("ENDPOINT")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "Where QEMU's monitor listens: unix:/path, /path, tcp:host:port, host:port or [::1]:port (none with --launch).",
        };
        var words = new Argument<string[]>("COMMAND")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "A command with key=value arguments, or !HMP-COMMAND; none for the shell (or standard input).",
        };
        var json = new Option<string?>("--json") { Description = "Run this raw JSON command, e.g. '{\"execute\": \"query-status\"}'.", HelpName = "JSON" };
        var launch = new Option<bool>("--launch") { Description = "Start a QEMU (arguments after --) and work on it; it is stopped when qmp ends.", Recursive = true };
        var qemu = new Option<string>("--qemu")
        {
            Description = "The QEMU binary for --launch.",
            DefaultValueFactory = _ => Qemu.QemuStartOptions.DefaultBinary,
            HelpName = "BINARY",
            Recursive = true,
        };
        var hmp = new Option<bool>("--hmp", "-H") { Description = "Every command is a human monitor (HMP) command; its text is printed as it is." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Echo the JSON sent (>>) and received (<<) to standard error, secrets masked.", Recursive = true };
        var pretty = new Option<bool>("--pretty", "-p") { Description = "Indent JSON results (the default on a terminal).", Recursive = true };
        var compact = new Option<bool>("--compact", "-c") { Description = "One line of JSON per result (the default when piped).", Recursive = true };
        var followEvents = new Option<bool>("--events", "-e") { Description = "Also print events, as JSON lines, as they arrive while the commands run." };
        var until = new Option<string?>("--until")
        {
            Description = "After the last command, print events until one named NAME arrives whose data members match the key=value words, e.g. 'JOB_STATUS_CHANGE status=concluded' (implies -e; exit 1 if it does not come within --linger).",
            HelpName = "'NAME [key=value ...]'",
        };
        var linger = new Option<double?>("--linger") { Description = "After the last command, keep printing events this long (with --until: wait this long at most; default 30).", HelpName = "SECONDS" };
        var noColor = new Option<bool>("--no-color") { Description = "No colours (also when NO_COLOR is set or the output is not a terminal).", Recursive = true };
        var noValidate = new Option<bool>("--no-validate") { Description = "Send commands without checking them against the schema first.", Recursive = true };
        var timeout = new Option<double>("--connect-timeout")
        {
            Description = "Seconds to wait for the connection.",
            DefaultValueFactory = _ => 10,
            HelpName = "SECONDS",
            Recursive = true,
        };
        var count = new Option<int?>("--count") { Description = "Stop after N events.", HelpName = "N" };
        count.Validators.Add(r =>
        {
            // Only a number that was read: a word that is no number already has System.CommandLine's own error.
            if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var n) && n < 0)
            {
                r.AddError("--count must be 0 or more");
            }
        });
        var name = new Option<string[]>("--name")
        {
            Description = "Print only events of this name (repeatable).",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var schemaName = new Argument<string[]>("NAME")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "A command, event or type, with tag=value words to pick a union branch; none for an overview.",
        };

        var waitWhat = new Argument<string[]>("WHAT")
        {
            Arity = new ArgumentArity(1, 2),
            Description = "'job ID' or 'migration'.",
        };
        var complete = new Option<bool>("--complete") { Description = "Complete the job (job-complete) when it is ready, e.g. a mirror's pivot." };
        var wait = new Command("wait", "Wait for a job ('wait job ID') or a migration ('wait migration') to end: a progress line on a terminal, JSON lines when piped; exit 0 on success, 1 when it failed or was cancelled.") { waitWhat, complete };
        var events = new Command("events", "Print events as JSON lines in QEMU's own shape until Ctrl+C, --count events, or the end of the connection.") { count, name };
        var schema = new Command("schema", "Describe a command, event or type from the connected QEMU's schema.") { schemaName };
        var root = new RootCommand(Usage) { endpoint, words, json, launch, qemu, hmp, verbose, pretty, compact, followEvents, until, linger, noColor, noValidate, timeout, events, schema, wait };

        // Usage rules that System.CommandLine cannot say by arity alone; each becomes a parse error like its own. They are
        // checked on whichever command runs (the root or a subcommand).
        void Validate(CommandResult r)
        {
            var launched = r.GetValue(launch);
            var target = r.GetValue(endpoint);
            var commandWords = r.GetValue(words) ?? [];
            if (!launched && target is null)
            {
                r.AddError("an ENDPOINT is needed (unix:/path/to/qmp.sock, host:port), or --launch");
            }
            else if (!launched && !QmpEndpoint.TryParse(target!, out _))
            {
                r.AddError($"'{target}' is not a QMP endpoint; use unix:/path, /absolute/path, tcp:host:port, host:port or [::1]:port");
            }

            if (split >= 0 && !launched)
            {
                r.AddError("arguments after -- are for QEMU and need --launch");
            }

            if (r.GetValue(json) is { } raw && (commandWords.Length > 0 || (launched && target is not null)))
            {
                r.AddError("--json takes the whole command; give no COMMAND words with it");
            }

            if (r.GetValue(pretty) && r.GetValue(compact))
            {
                r.AddError("--pretty and --compact exclude each other");
            }

            if (r.GetValue(hmp) && r.GetValue(json) is not null)
            {
                r.AddError("--json sends QMP; it does not go with --hmp");
            }

            if (r.GetValue(linger) < 0)
            {
                r.AddError("--linger must be 0 or more");
            }

            // A QMP command never starts with '-': such a word is an option that does not belong here (e.g. --count
            // without 'events'), which System.CommandLine would otherwise take as the COMMAND.
            if (commandWords.FirstOrDefault(w => w.StartsWith('-')) is { } stray)
            {
                r.AddError($"unknown option '{stray}' here");
            }
        }

        root.Validators.Add(Validate);
        events.Validators.Add(Validate);
        schema.Validators.Add(Validate);
        wait.Validators.Add(Validate);
        wait.Validators.Add(r =>
        {
            var what = r.GetValue(waitWhat) ?? [];
            switch (what)
            {
                case ["job", _]:
                    break;
                case ["migration"]:
                    if (r.GetValue(complete))
                    {
                        r.AddError("--complete is for jobs");
                    }

                    break;
                case ["job"]:
                    r.AddError("'wait job' needs the job's ID");
                    break;
                default:
                    r.AddError($"wait for what? 'wait job ID' or 'wait migration', not '{string.Join(' ', what)}'");
                    break;
            }
        });

        ShellOptions Options(ParseResult result, ShellMode mode)
        {
            var launched = result.GetValue(launch);
            var target = result.GetValue(endpoint);
            var commandWords = result.GetValue(words) ?? [];

            // Under --launch there is no ENDPOINT: a word in its place is the command.
            IReadOnlyList<string> all = launched && target is not null ? [target, .. commandWords] : commandWords;
            var untilName = result.GetValue(until);
            var lingerSeconds = result.GetValue(linger);
            return new ShellOptions
            {
                Mode = mode,
                Endpoint = launched ? null : QmpEndpoint.Parse(target!),
                Words = all,
                Launch = launched,
                QemuBinary = result.GetValue(qemu) ?? Qemu.QemuStartOptions.DefaultBinary,
                QemuArguments = qemuArgs,
                Json = result.GetValue(json),
                Count = result.GetValue(count),
                EventNames = result.GetValue(name) ?? [],
                WaitId = mode == ShellMode.Wait && result.GetValue(waitWhat) is ["job", var jobId] ? jobId : null,
                WaitComplete = result.GetValue(complete),
                SchemaName = result.GetValue(schemaName) is { Length: > 0 } n ? string.Join(' ', n) : null,
                NoColor = result.GetValue(noColor),
                NoValidate = result.GetValue(noValidate),
                ConnectTimeout = TimeSpan.FromSeconds(Math.Max(0.1, result.GetValue(timeout))),
                Hmp = result.GetValue(hmp),
                Verbose = result.GetValue(verbose),
                Pretty = result.GetValue(pretty) ? true : result.GetValue(compact) ? false : null,
                FollowEvents = result.GetValue(followEvents) || untilName is not null,
                Until = untilName,
                Linger = lingerSeconds is { } l ? TimeSpan.FromSeconds(l) : untilName is not null ? TimeSpan.FromSeconds(30) : null,
            };
        }

        root.SetAction((result, cancellationToken) => DispatchAsync(Options(result, ShellMode.Commands), io, cancellationToken));
        events.SetAction((result, cancellationToken) => DispatchAsync(Options(result, ShellMode.Events), io, cancellationToken));
        schema.SetAction((result, cancellationToken) => DispatchAsync(Options(result, ShellMode.Schema), io, cancellationToken));
        wait.SetAction((result, cancellationToken) => DispatchAsync(Options(result, ShellMode.Wait), io, cancellationToken));

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

    private static async Task<int> DispatchAsync(ShellOptions options, ShellIO io, CancellationToken cancellationToken)
    {
        var outPalette = Palette.Choose(io.OutIsTerminal, options.NoColor, io.GetEnvironment);
        var errPalette = Palette.Choose(io.ErrorIsTerminal, options.NoColor, io.GetEnvironment);
        var mode = options.Mode;
        var words = options.Words;
        if (mode != ShellMode.Commands && words.Count > 0)
        {
            // System.CommandLine has put words before the subcommand into COMMAND: only ENDPOINT may come first.
            await io.Error.WriteLineAsync(Reporter.Error($"'{words[0]}' is out of place: {mode.ToString().ToLowerInvariant()} follows the ENDPOINT directly", errPalette)).ConfigureAwait(false);
            await io.Error.WriteLineAsync("Try 'qmp --help'.").ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }

        // Parse the command before connecting, so that a typing mistake does not cost a connection.
        QmpRequest? request = null;
        try
        {
            if (options.Json is { } raw)
            {
                if (!raw.TrimStart().StartsWith('{'))
                {
                    await io.Error.WriteLineAsync(Reporter.Error("--json needs a JSON object: '{\"execute\": \"COMMAND\", \"arguments\": {...}}'", errPalette)).ConfigureAwait(false);
                    return ExitCodes.UsageOrConnection;
                }

                request = LineParser.Parse(raw);
            }
            else if (words.Count > 0)
            {
                request = options.Hmp ? LineParser.ParseHmp(string.Join(' ', words)) : LineParser.ParseWords(words[0], words.Skip(1).ToList());
            }
        }
        catch (LineParseException e)
        {
            var text = options.Json ?? string.Join(' ', words);
            await io.Error.WriteLineAsync(Reporter.ParseError(e, text, errPalette)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }

        // The echo is one line per message unless -p asks for indentation: it is a diagnostic beside the results.
        var echo = options.Verbose ? new WireEcho(io.Error, options.Pretty == true) : null;
        ShellSession session;
        try
        {
            session = await ShellSession.OpenAsync(options, options.Endpoint, echo, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is QmpException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var target = options.Launch ? options.QemuBinary : options.Endpoint!.ToString();
            await io.Error.WriteLineAsync(Reporter.Error(Reporter.ConnectFailure(target, e), errPalette)).ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.UsageOrConnection;
        }

        await using (session.ConfigureAwait(false))
        {
            // The schema is read (once per connection) only where commands are checked; a raw JSON command goes out as
            // written, and HMP command lines are not QMP. The schema's own traffic is not echoed: it is 200 KB nobody asked for.
            var checks = !options.NoValidate && mode == ShellMode.Commands && options.Json is null && !(options.Hmp && words.Count > 0);
            IRequestValidator? validator = null;
            if (checks)
            {
                using (echo?.Mute())
                {
                    validator = await Validation.CreateAsync(session.Client, cancellationToken).ConfigureAwait(false);
                }
            }

            switch (mode)
            {
                case ShellMode.Events:
                    return await EventsMode.RunAsync(session, options, io, outPalette, cancellationToken).ConfigureAwait(false);
                case ShellMode.Wait:
                    return await WaitMode.RunAsync(session, options, io, outPalette, errPalette, cancellationToken).ConfigureAwait(false);
                case ShellMode.Schema:
                    using (echo?.Mute())
                    {
                        return await SchemaMode.RunAsync(session, options.SchemaName, io, outPalette, errPalette, cancellationToken).ConfigureAwait(false);
                    }
            }

            if (request is not null || !io.InIsTerminal)
            {
                var oneShot = new OneShotMode(session, io, options, outPalette, errPalette, validator);
                return request is not null
                    ? await oneShot.RunOneAsync(request, cancellationToken).ConfigureAwait(false)
                    : await oneShot.RunLinesAsync(cancellationToken).ConfigureAwait(false);
            }

            return await Interactive.InteractiveShell.RunAsync(session, options, validator, echo, io, cancellationToken).ConfigureAwait(false);
        }
    }
}
