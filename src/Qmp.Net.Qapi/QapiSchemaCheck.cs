using System.Text.Json;
using Microsoft.Extensions.Logging;
using Qmp.Net.Introspection;

namespace Qmp.Net.Qapi;

/// <summary>The check of a typed command against the connected QEMU's schema (<see cref="QmpSchema"/>, read once per
/// client): refuses a command, argument member or enum value the QEMU lacks; warns once for a deprecated command, and
/// once per member path for a deprecated argument member or enum value.</summary>
internal static partial class QapiSchemaCheck
{
    public static void Configure(QmpClient client, QapiCheckOptions options) => client.Attachments.SetTyped(new State(options));

    public static QapiCheckOptions OptionsOf(QmpClient client) => client.Attachments.TypedOrNull<State>()?.Options ?? QapiCheckOptions.Default;

    public static async Task CheckAsync(QmpClient client, string command, JsonElement? arguments, CancellationToken cancellationToken)
    {
        var state = client.Attachments.GetOrCreateTyped(static () => new State(QapiCheckOptions.Default));
        if (!state.Options.Enabled)
        {
            return;
        }

        if (arguments is null && state.PassedWithoutArguments(command))
        {
            return;
        }

        if (state.WithoutSchema)
        {
            return;
        }

        var version = client.Greeting?.Version is { } v ? $"{v.Major}.{v.Minor}.{v.Micro}" : "(unknown version)";
        QmpSchema schema;
        try
        {
            schema = await client.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QmpErrorException notFound) when (notFound.ErrorClass == "CommandNotFound")
        {
            // No schema to check against (QEMU before 2.5, other QMP servers): the typed command itself may well work,
            // so it is sent unchecked, and the client says so once.
            if (state.NoteWithoutSchema())
            {
                Log.NoSchema(state.Logger, version, command);
            }

            return;
        }
        if (!schema.Commands.TryGetValue(command, out var info))
        {
            var others = QapiCatalog.Commands.TryGetValue(command, out var entry) ? $" (QAPI schemas that have it: QEMU {string.Join(", ", entry.Versions)}{(entry.Condition is null ? "" : ", built with " + entry.Condition)})" : "";
            throw new QapiUnsupportedException(command, "", version, $"The connected QEMU {version} has no command '{command}'{others}; nothing was sent.");
        }

        if (info.Features.Contains("deprecated") && state.WarnOnce(command))
        {
            Log.DeprecatedCommand(state.Logger, command, version);
        }

        if (QapiCatalog.Commands.TryGetValue(command, out var e) && e.OpenArguments)
        {
            WarnDeprecatedUse(state, info, arguments, version);
            return;
        }

        // An unknown union tag value also makes its branch's members unknown: name the cause (the value) first.
        foreach (var error in schema.Validate(command, arguments).OrderBy(e => e.Kind switch
        {
            QmpSchemaErrorKind.UnknownCommand => 0,
            QmpSchemaErrorKind.UnknownEnumValue => 1,
            QmpSchemaErrorKind.UnknownMember => 2,
            _ => 3,
        }))
        {
            if (error.Kind is QmpSchemaErrorKind.MissingMember)
            {
                throw new QapiUnsupportedException(command, error.Path, version,
                    $"The connected QEMU {version} requires the member '{error.Path}' of '{command}', which the arguments lack: {error.Message}; nothing was sent.");
            }

            if (error.Kind is QmpSchemaErrorKind.UnknownMember or QmpSchemaErrorKind.UnknownEnumValue or QmpSchemaErrorKind.UnknownCommand)
            {
                throw new QapiUnsupportedException(command, error.Path, version,
                    $"The connected QEMU {version} does not support '{command}' with {(error.Path.Length == 0 ? "these arguments" : "'" + error.Path + "'")}: {error.Message}; nothing was sent.");
            }
        }

        if (arguments is null)
        {
            state.NotePassedWithoutArguments(command);
        }
        else
        {
            WarnDeprecatedUse(state, info, arguments.Value, version);
        }
    }

    private static void WarnDeprecatedUse(State state, QmpSchemaCommand command, JsonElement? arguments, string version)
    {
        if (arguments is not { } json || !state.Logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        foreach (var (path, value) in QapiDeprecatedUse.Find(command, json))
        {
            if (!state.WarnOnce(value is null ? $"{command.Name} {path}" : $"{command.Name} {path}={value}"))
            {
                continue;
            }

            if (value is null)
            {
                Log.DeprecatedMember(state.Logger, path, command.Name, version);
            }
            else
            {
                Log.DeprecatedEnumValue(state.Logger, value, path, command.Name, version);
            }
        }
    }

    private sealed class State(QapiCheckOptions options)
    {
        private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

        public QapiCheckOptions Options { get; } = options;

        public ILogger Logger { get; } = options.LoggerFactory?.CreateLogger("Qmp.Net.Qapi") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _passedWithoutArguments = new(StringComparer.Ordinal);

        /// <summary>Whether this command, without arguments, already passed the check on this connection's schema.</summary>
        public bool PassedWithoutArguments(string command) => _passedWithoutArguments.ContainsKey(command);

        public void NotePassedWithoutArguments(string command) => _passedWithoutArguments.TryAdd(command, true);

        private int _withoutSchema;

        /// <summary>Whether the server answered <c>query-qmp-schema</c> with <c>CommandNotFound</c>.</summary>
        public bool WithoutSchema => Volatile.Read(ref _withoutSchema) != 0;

        /// <summary>Notes that the server has no schema; true the first time only.</summary>
        public bool NoteWithoutSchema() => Interlocked.Exchange(ref _withoutSchema, 1) == 0;

        public bool WarnOnce(string key)
        {
            lock (_warned)
            {
                return _warned.Add(key);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = QapiEventId.DeprecatedCommand, Level = LogLevel.Warning, Message = "The QMP command '{Command}' is deprecated in the connected QEMU {Version}")]
        public static partial void DeprecatedCommand(ILogger logger, string command, string version);

        [LoggerMessage(EventId = QapiEventId.DeprecatedMember, Level = LogLevel.Warning, Message = "The argument member '{Member}' of the QMP command '{Command}' is deprecated in the connected QEMU {Version}")]
        public static partial void DeprecatedMember(ILogger logger, string member, string command, string version);

        [LoggerMessage(EventId = QapiEventId.NoSchema, Level = LogLevel.Warning, Message = "The connected QMP server {Version} has no 'query-qmp-schema' (CommandNotFound): typed commands, starting with '{Command}', are sent without the schema check")]
        public static partial void NoSchema(ILogger logger, string version, string command);

                [LoggerMessage(EventId = QapiEventId.DeprecatedEnumValue, Level = LogLevel.Warning, Message = "The value '{Value}' of the argument member '{Member}' of the QMP command '{Command}' is deprecated in the connected QEMU {Version}")]
        public static partial void DeprecatedEnumValue(ILogger logger, string value, string member, string command, string version);
    }
}
