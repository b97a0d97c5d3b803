using System.Collections.ObjectModel;
using System.Text.Json;

namespace Qmp.Net.Introspection;

/// <summary>A QMP server's own description of what it accepts and sends: the reply of <c>query-qmp-schema</c> as a model
/// of commands, events and types, with a check of a command's arguments and feature queries.</summary>
/// <remarks>
/// <para>The schema is the connected server's, so it is right for any QEMU version, also one newer than Qmp.Net knows.
/// Get it once per connection with <see cref="QmpSchemaClientExtensions.GetSchemaAsync(QmpClient, CancellationToken)"/>
/// (cached per client) or <see cref="QueryAsync(QmpClient, CancellationToken)"/>, or build it from a recorded reply with
/// <see cref="Parse(JsonElement)"/>. An instance is immutable and safe to share between threads.</para>
/// <para>QEMU's introspection masks type names as numbers that change between versions, collapses every integer width
/// to <c>int</c> and carries no documentation; command, event, member and enumeration value names are real.</para>
/// </remarks>
public sealed class QmpSchema
{
    private static readonly IReadOnlyList<string> s_none = Array.Empty<string>();

    private readonly Dictionary<string, QmpSchemaType> _types;

    internal QmpSchema(Dictionary<string, QmpSchemaType> types, Dictionary<string, QmpSchemaCommand> commands, Dictionary<string, QmpSchemaEvent> events)
    {
        _types = types;
        Types = new ReadOnlyDictionary<string, QmpSchemaType>(types);
        Commands = new ReadOnlyDictionary<string, QmpSchemaCommand>(commands);
        Events = new ReadOnlyDictionary<string, QmpSchemaEvent>(events);
    }

    /// <summary>Gets the commands, by name (ordinal).</summary>
    public IReadOnlyDictionary<string, QmpSchemaCommand> Commands { get; }

    /// <summary>Gets the events, by name (ordinal).</summary>
    public IReadOnlyDictionary<string, QmpSchemaEvent> Events { get; }

    /// <summary>Gets the types, by their name in the schema (masked as numbers by QEMU, except builtins and arrays).</summary>
    public IReadOnlyDictionary<string, QmpSchemaType> Types { get; }

    /// <summary>Builds the model from the <c>return</c> value of <c>query-qmp-schema</c>.</summary>
    /// <param name="queryQmpSchemaReturn">The array of schema entries.</param>
    /// <returns>The schema.</returns>
    /// <exception cref="FormatException">The value is not a schema: not an array, an entry without a name or meta-type, a
    /// reference to a type the schema does not define, or a command's arguments that are not an object. An entry of a
    /// meta-type this version of Qmp.Net does not know is taken as a type that accepts any JSON value.</exception>
    public static QmpSchema Parse(JsonElement queryQmpSchemaReturn) => QmpSchemaParser.Parse(queryQmpSchemaReturn);

    /// <summary>Runs <c>query-qmp-schema</c> on the client's connection and builds the model from its reply.</summary>
    /// <param name="client">A connected client.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <returns>The server's schema.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    /// <exception cref="QmpException">The command failed or the connection ended.</exception>
    /// <exception cref="FormatException">The reply is not a schema.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<QmpSchema> QueryAsync(QmpClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("query-qmp-schema", null, cancellationToken).ConfigureAwait(false);
        return Parse(reply);
    }

    /// <summary>Returns the type with the given schema name.</summary>
    /// <param name="name">The type's name in the schema.</param>
    /// <returns>The type.</returns>
    /// <exception cref="KeyNotFoundException">The schema has no type of that name.</exception>
    public QmpSchemaType GetType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _types.TryGetValue(name, out var type)
            ? type
            : throw new KeyNotFoundException($"The schema has no type named '{name}'.");
    }

    /// <summary>Checks a command and its arguments against the schema, as the server would, without sending anything.</summary>
    /// <param name="command">The command name.</param>
    /// <param name="arguments">The arguments object; <see langword="null"/> (or an undefined element) for none.</param>
    /// <returns>Every mistake found, with its member path; empty when the server would accept the arguments' shape.
    /// (The server may still refuse their values, e.g. a node name that does not exist.) <c>device_add</c> takes the
    /// device's properties as extra members that no schema lists, so members it does not know are not reported for it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="command"/> is null.</exception>
    public IReadOnlyList<QmpSchemaError> Validate(string command, JsonElement? arguments)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!Commands.TryGetValue(command, out var definition))
        {
            return [new QmpSchemaError(string.Empty, QmpSchemaErrorKind.UnknownCommand, $"The server has no command '{command}'.")];
        }

        return QmpSchemaValidator.Validate(definition, arguments);
    }

    /// <summary>Answers a feature query about the schema, such as libvirt asks before using a feature:
    /// <c>blockdev-add/arg-type/+file/drop-cache</c> is <see langword="true"/> when <c>blockdev-add</c>'s arguments have a
    /// <c>file</c> branch with a <c>drop-cache</c> member.</summary>
    /// <param name="query">Segments separated by <c>/</c>: first a command or event name; then <c>arg-type</c> or
    /// <c>ret-type</c> (an event's <c>arg-type</c> is its data); a plain name selects a member (through arrays to their
    /// elements, and through alternates to their object choices); <c>+case</c> selects a union branch; <c>^value</c> asks for
    /// an enumeration value and <c>$feature</c> for a feature of what is selected (both last).</param>
    /// <returns><see langword="true"/> when everything the query names exists.</returns>
    /// <exception cref="ArgumentException"><paramref name="query"/> is empty or malformed (an empty segment, a segment after
    /// <c>^value</c> or <c>$feature</c>, or a second segment other than <c>arg-type</c>, <c>ret-type</c> or <c>$feature</c>).</exception>
    public bool Has(string query) => QmpSchemaQuery.Evaluate(this, query);

    internal static IReadOnlyList<string> NoFeatures => s_none;
}
