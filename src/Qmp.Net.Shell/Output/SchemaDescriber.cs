using System.Text;
using Qmp.Net.Introspection;
using Qmp.Net.Shell.Completion;
using Spectre.Console;

namespace Qmp.Net.Shell.Output;

/// <summary>Describes commands, events and types as the connected QEMU's schema has them: members with their types and
/// whether they are optional, union branches, enumeration values, what a command returns.</summary>
internal sealed class SchemaDescriber
{
    private const int MaxEnumValuesShown = 10;
    private readonly QmpSchema _schema;
    private readonly Palette _palette;

    public SchemaDescriber(QmpSchema schema, Palette palette)
    {
        _schema = schema;
        _palette = palette;
    }

    /// <summary>Tells how much the schema holds.</summary>
    /// <param name="width">The terminal width.</param>
    /// <returns>The text.</returns>
    public string Overview(int width)
    {
        _ = width;
        return $"{_schema.Commands.Count} commands, {_schema.Events.Count} events, {_schema.Types.Count} types. " +
            "'schema NAME' describes a command, an event or a type; 'help COMMAND' a command's arguments.";
    }

    /// <summary>Describes a command, event or type.</summary>
    /// <param name="name">Its name, optionally followed by tag=value words that select union branches
    /// (<c>blockdev-add driver=qcow2</c>).</param>
    /// <param name="width">The terminal width.</param>
    /// <returns>The description, or <see langword="null"/> when the schema has no such name.</returns>
    public string? Describe(string name, int width)
    {
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return null;
        }

        var tags = words.Skip(1).Select(w => w.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var text = new StringBuilder();
        if (_schema.Commands.TryGetValue(words[0], out var command))
        {
            text.Append(_palette.Paint(_palette.Bold, "command " + command.Name));
            if (command.AllowOob)
            {
                text.Append(" (allow-oob)");
            }

            AppendFeatures(text, command.Features);
            text.Append('\n');
            AppendMembers(text, "arguments", command.Arguments, tags, width);
            text.Append("returns: ").Append(Short(command.Returns)).Append('\n');
            if (SchemaWalk.AsObject(command.Returns) is { Members.Count: > 0 } returned)
            {
                AppendMembers(text, null, returned, tags, width);
            }
            else if (command.Returns is QmpSchemaArrayType { ElementType: var element } && SchemaWalk.AsObject(element) is { Members.Count: > 0 } item)
            {
                AppendMembers(text, null, item, tags, width);
            }

            return text.ToString().TrimEnd('\n');
        }

        if (_schema.Events.TryGetValue(words[0], out var @event))
        {
            text.Append(_palette.Paint(_palette.Bold, "event " + @event.Name));
            AppendFeatures(text, @event.Features);
            text.Append('\n');
            AppendMembers(text, "data", @event.Data, tags, width);
            return text.ToString().TrimEnd('\n');
        }

        if (_schema.Types.TryGetValue(words[0], out var type))
        {
            text.Append(_palette.Paint(_palette.Bold, "type " + type.Name)).Append(": ").Append(Short(type, full: true));
            AppendFeatures(text, type.Features);
            text.Append('\n');
            if (type is QmpSchemaObjectType obj)
            {
                AppendMembers(text, "members", obj, tags, width);
            }

            return text.ToString().TrimEnd('\n');
        }

        return null;
    }

    /// <summary>Names close to an unknown name, for "did you mean".</summary>
    /// <param name="name">The unknown name.</param>
    /// <returns>Up to five names.</returns>
    public IReadOnlyList<string> Similar(string name)
    {
        var all = _schema.Commands.Keys.Concat(_schema.Events.Keys);
        var key = name.Length > 4 ? name[..4] : name;
        return all.Where(n => n.Contains(key, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).Take(5).ToList();
    }

    private void AppendMembers(StringBuilder text, string? title, QmpSchemaObjectType type, Dictionary<string, string> tags, int width)
    {
        var members = SchemaWalk.MembersOf(type, tag => tags.TryGetValue(tag, out var v) ? v : null);
        if (members.Count == 0)
        {
            if (title is not null)
            {
                text.Append(title).Append(": none\n");
            }

            return;
        }

        if (title is not null)
        {
            text.Append(title).Append(":\n");
        }

        var table = Ui.Table("  member", "", "type");
        foreach (var member in members)
        {
            AddRow(table, member, string.Empty, depth: 0);
        }

        text.Append(Ui.Render(table, _palette, width)).Append('\n');
        if (type.Tag is { } tag && !tags.ContainsKey(tag) && type.Variants.Count > 0)
        {
            text.Append(CultureInfo($"'{tag}' selects more members: {string.Join(", ", type.Variants.Select(v => v.Case))}\n"));
            text.Append(CultureInfo($"  (add {tag}=VALUE to see them, e.g. {type.Variants[0].Case})\n"));
        }
    }

    private void AddRow(Table table, QmpSchemaMember member, string prefix, int depth)
    {
        var name = prefix + member.Name;
        var required = member.IsOptional ? "optional" : "[bold]required[/]";
        if (member.Features.Count > 0)
        {
            required += " " + Markup.Escape("(" + string.Join(", ", member.Features) + ")");
        }

        table.AddRow("  " + Markup.Escape(name), required, Markup.Escape(Short(member.Type)));
        if (depth < 1 && member.Type is QmpSchemaObjectType { Tag: null, Variants.Count: 0 } nested && nested.Members.Count <= 12)
        {
            foreach (var inner in nested.Members)
            {
                AddRow(table, inner, name + ".", depth + 1);
            }
        }
    }

    private void AppendFeatures(StringBuilder text, IReadOnlyList<string> features)
    {
        if (features.Count > 0)
        {
            text.Append(_palette.Paint(_palette.Dim, " features: " + string.Join(", ", features)));
        }
    }

    /// <summary>A type in a few words: <c>str</c>, <c>enum (a | b)</c>, <c>array of int</c>, <c>object</c>, <c>str | object</c>.</summary>
    /// <param name="type">The type.</param>
    /// <param name="full">List every enumeration value.</param>
    /// <returns>The words.</returns>
    public static string Short(QmpSchemaType type, bool full = false)
    {
        switch (type)
        {
            case QmpSchemaBuiltinType builtin:
                return builtin.Name;
            case QmpSchemaEnumType enumeration:
                var values = enumeration.Values.Select(v => v.Name).ToList();
                var shown = full || values.Count <= MaxEnumValuesShown ? values : values.Take(MaxEnumValuesShown).Append($"... {values.Count} in all").ToList();
                return "enum (" + string.Join(" | ", shown) + ")";
            case QmpSchemaArrayType array:
                return "array of " + Short(array.ElementType);
            case QmpSchemaObjectType obj:
                return obj.Members.Count == 0 && obj.Variants.Count == 0
                    ? "{}"
                    : obj.Tag is { } tag ? $"object (union on '{tag}')" : "object";
            case QmpSchemaAlternateType alternate:
                return string.Join(" | ", alternate.Choices.Select(c => Short(c)));
            default:
                return type.Name;
        }
    }

    private static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);
}
