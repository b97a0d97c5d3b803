namespace Qmp.Net.Introspection;

/// <summary>Evaluates the feature queries of <see cref="QmpSchema.Has(string)"/>.</summary>
internal static class QmpSchemaQuery
{
    public static bool Evaluate(QmpSchema schema, string query)
    {
        ArgumentException.ThrowIfNullOrEmpty(query);
        var segments = query.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].Length == 0)
            {
                throw new ArgumentException($"Feature query '{query}' has an empty segment.", nameof(query));
            }

            if (segments[i][0] is '^' or '$' && i != segments.Length - 1)
            {
                throw new ArgumentException($"In feature query '{query}', '{segments[i]}' must be the last segment.", nameof(query));
            }
        }

        IReadOnlyList<string> features;
        QmpSchemaType? arguments;
        QmpSchemaType? returns;
        if (schema.Commands.TryGetValue(segments[0], out var command))
        {
            (features, arguments, returns) = (command.Features, command.Arguments, command.Returns);
        }
        else if (schema.Events.TryGetValue(segments[0], out var @event))
        {
            (features, arguments, returns) = (@event.Features, @event.Data, null);
        }
        else
        {
            return false;
        }

        if (segments.Length == 1)
        {
            return true;
        }

        var second = segments[1];
        if (second[0] == '$')
        {
            return features.Contains(second[1..], StringComparer.Ordinal);
        }

        var start = second switch
        {
            "arg-type" => arguments,
            "ret-type" => returns,
            _ => throw new ArgumentException($"In feature query '{query}', the second segment must be 'arg-type', 'ret-type' or '$feature', not '{second}'.", nameof(query)),
        };
        return start is not null && Walk(start, start.Features, segments, 2, depth: 0);
    }

    /// <summary>Follows the segments from <paramref name="index"/> on, starting at <paramref name="type"/>, whose features
    /// (or those of the member that led to it) are <paramref name="features"/>.</summary>
    private static bool Walk(QmpSchemaType type, IReadOnlyList<string> features, string[] segments, int index, int depth)
    {
        if (index == segments.Length)
        {
            return true;
        }

        // Recursive types (a quorum's children are block devices again) cannot loop: each step consumes a segment, but an
        // alternate or array step does not, so bound those.
        if (depth > 64)
        {
            return false;
        }

        var segment = segments[index];
        switch (type)
        {
            case QmpSchemaArrayType array when segment[0] != '$':
                return Walk(array.ElementType, features, segments, index, depth + 1);
            case QmpSchemaAlternateType alternate when segment[0] != '$':
                return alternate.Choices.Any(choice => Walk(choice, features, segments, index, depth + 1));
        }

        switch (segment[0])
        {
            case '$':
                return features.Contains(segment[1..], StringComparer.Ordinal) || type.Features.Contains(segment[1..], StringComparer.Ordinal);
            case '^':
                return type is QmpSchemaEnumType enumeration && enumeration.Contains(segment[1..]);
            case '+':
                return type is QmpSchemaObjectType { Tag: not null } union
                    && union.FindVariant(segment[1..]) is { } variant
                    && (Walk(variant.Type, variant.Type.Features, segments, index + 1, depth) || WalkBase(union, segments, index + 1, depth));
            default:
                return type is QmpSchemaObjectType obj
                    && obj.FindMember(segment) is { } member
                    && Walk(member.Type, member.Features, segments, index + 1, depth);
        }
    }

    /// <summary>After <c>+case</c>, a member may also be one of the union's base members.</summary>
    private static bool WalkBase(QmpSchemaObjectType union, string[] segments, int index, int depth) =>
        index < segments.Length && segments[index][0] is not ('$' or '^' or '+')
        && union.FindMember(segments[index]) is { } member
        && Walk(member.Type, member.Features, segments, index + 1, depth);
}
