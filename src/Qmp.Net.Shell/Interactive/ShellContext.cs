using Qmp.Net.Introspection;
using Qmp.Net.Shell.Completion;
using Qmp.Net.Shell.Output;

namespace Qmp.Net.Shell.Interactive;

/// <summary>What the shell knows of the connected QEMU from its schema: completion, help and descriptions.</summary>
internal sealed class ShellContext
{
    private readonly SchemaDescriber? _describer;
    private readonly Palette _palette;
    private readonly Func<int> _width;

    private ShellContext(QmpSchema? schema, Palette palette, Func<int> width)
    {
        Schema = schema;
        _palette = palette;
        _width = width;
        if (schema is not null)
        {
            Completer = new SchemaCompleter(schema);
            _describer = new SchemaDescriber(schema, palette);
        }
    }

    /// <summary>Gets the schema, or <see langword="null"/> when the server offered none.</summary>
    public QmpSchema? Schema { get; }

    /// <summary>Gets the completer, or <see langword="null"/> without a schema.</summary>
    public ICompleter? Completer { get; }

    /// <summary>Reads the connected QEMU's schema (once per connection).</summary>
    /// <param name="client">The client.</param>
    /// <param name="palette">The colours.</param>
    /// <param name="width">Reads the terminal width.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The context.</returns>
    public static async Task<ShellContext> CreateAsync(QmpClient client, Palette palette, Func<int> width, CancellationToken cancellationToken)
    {
        QmpSchema? schema = null;
        try
        {
            schema = await client.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is QmpErrorException or FormatException)
        {
            // No introspection: the shell works without completion and checks.
        }

        return new ShellContext(schema, palette, width);
    }

    /// <summary>Says how much the schema holds.</summary>
    /// <returns>The text.</returns>
    public string Overview() => _describer?.Overview(_width()) ?? "This server offers no schema (query-qmp-schema failed).";

    /// <summary>Describes a command, event or type.</summary>
    /// <param name="name">The name, optionally with tag=value words.</param>
    /// <returns>The description, or a sentence saying there is no such thing.</returns>
    public string Describe(string name)
    {
        if (_describer is null)
        {
            return "This server offers no schema (query-qmp-schema failed).";
        }

        if (_describer.Describe(name, _width()) is { } description)
        {
            return description;
        }

        var word = name.Split(' ', 2)[0];
        var similar = _describer.Similar(word);
        return _palette.Paint(_palette.ErrorText, $"'{word}' is no command, event or type of this QEMU.") +
            (similar.Count > 0 ? " Similar: " + string.Join(", ", similar) : string.Empty);
    }
}
