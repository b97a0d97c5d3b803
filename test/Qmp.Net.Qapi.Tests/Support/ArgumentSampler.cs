using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Qmp.Net.Introspection;

namespace Qmp.Net.Qapi.Tests.Support;

/// <summary>Builds sample instances of generated argument records by reflection, walking the connected QEMU's
/// introspected schema beside the C# type: every mandatory member gets a valid value of its type (an enum value that
/// QEMU knows, a union branch it knows, an alternate's scalar branch first), and, with <see cref="FillOptional"/>, the
/// optional members of the outer record that this QEMU has.</summary>
/// <remarks>A record QEMU cannot take (its union branch, or a mandatory member, is not in this QEMU) raises
/// <see cref="UnavailableException"/> with the reason.</remarks>
internal sealed class ArgumentSampler
{
    private const int MaxDepth = 12;
    private static readonly NullabilityInfoContext s_nullability = new();

    /// <summary>Gets or sets a value indicating whether the outer record's optional members that the QEMU has are filled
    /// too.</summary>
    public bool FillOptional { get; set; }

    /// <summary>Gets the union branch to use for a union-typed member, by member path (<c>backend</c>, <c>actions[]</c>);
    /// other union members take the first branch this QEMU has.</summary>
    public Dictionary<string, Type> BranchFor { get; } = new(StringComparer.Ordinal);

    /// <summary>The union branches of a generated union base: its nested records deriving from it.</summary>
    public static IReadOnlyList<Type> BranchesOf(Type type) =>
        [.. type.GetNestedTypes().Where(n => n.IsSubclassOf(type) && !n.IsAbstract).OrderBy(n => n.Name, StringComparer.Ordinal)];

    /// <summary>Whether <paramref name="type"/> is an alternate (a converter, and no wire members of its own).</summary>
    public static bool IsAlternate(Type type) =>
        type.GetCustomAttribute<JsonConverterAttribute>() is not null && type.IsClass && WireProperties(type).Count == 0;

    /// <summary>Whether <paramref name="type"/> is a generated open enum.</summary>
    public static bool IsEnum(Type type) => type.IsValueType && type.GetNestedType("Known") is not null;

    /// <summary>The known values of a generated open enum, in declaration order.</summary>
    public static IReadOnlyList<object> EnumValues(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Static).Where(p => p.PropertyType == type).Select(p => p.GetValue(null)!)];

    public static string WireValue(object enumValue) => (string)enumValue.GetType().GetProperty("Value")!.GetValue(enumValue)!;

    /// <summary>Fills an instance of a record (a union branch, or a union base with its tag set for an empty branch).</summary>
    public object Fill(object instance, QmpSchemaObjectType type) => FillRecord(instance, type, 0, "");

    /// <summary>The tag member's C# property of a union base.</summary>
    public static PropertyInfo TagProperty(Type unionBase, string tag) =>
        WireProperties(unionBase).Single(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name == tag);

    private static List<PropertyInfo> WireProperties(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)];

    private object FillRecord(object instance, QmpSchemaObjectType type, int depth, string path)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"The sample of {instance.GetType()} nests deeper than {MaxDepth}.");
        }

        var tagValue = type.Tag is { } tag ? WireValue(TagProperty(BaseWith(instance.GetType(), tag), tag).GetValue(instance)!) : null;
        var members = type.MembersFor(tagValue).ToList();
        foreach (var property in WireProperties(instance.GetType()))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name;
            if (name == type.Tag)
            {
                continue;
            }

            var member = members.Find(m => m.Name == name);
            var mandatoryHere = IsMandatoryInCSharp(property);
            if (member is null)
            {
                if (mandatoryHere)
                {
                    throw new UnavailableException($"its mandatory member '{name}' ({instance.GetType().Name}) is not in this QEMU");
                }

                continue;
            }

            if (!mandatoryHere && member.IsOptional && !(FillOptional && depth == 0))
            {
                continue;
            }

            if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                continue;
            }

            property.SetValue(instance, Value(property.PropertyType, member.Type, depth + 1, path.Length == 0 ? name : path + "." + name));
        }

        return instance;
    }

    /// <summary>The type among <paramref name="type"/> and its bases that declares the tag property.</summary>
    private static Type BaseWith(Type type, string tag)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == tag))
            {
                return t;
            }
        }

        throw new InvalidOperationException($"{type} has no tag property '{tag}'.");
    }

    private static bool IsMandatoryInCSharp(PropertyInfo property) => property.PropertyType.IsValueType
        ? Nullable.GetUnderlyingType(property.PropertyType) is null
        : s_nullability.Create(property).WriteState == NullabilityState.NotNull;

    private object Value(Type type, QmpSchemaType schemaType, int depth, string path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (schemaType is QmpSchemaAlternateType && !IsAlternate(type))
        {
            // The C# type is one choice of what is an alternate in this QEMU (a kind changed between versions).
            schemaType = Choice((QmpSchemaAlternateType)schemaType, type) ?? throw new UnavailableException($"'{path}' takes no {type.Name} in this QEMU");
        }

        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(double))
        {
            return 1.5;
        }

        if (type.IsPrimitive)
        {
            return Convert.ChangeType(1, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(System.Text.Json.Nodes.JsonNode))
        {
            return System.Text.Json.Nodes.JsonValue.Create(1);
        }

        if (type == typeof(JsonElement))
        {
            return JsonDocument.Parse("1").RootElement.Clone();
        }

        if (IsEnum(type))
        {
            return EnumValue(type, schemaType, path);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = type.GetGenericArguments()[0];
            var list = (IList)Array.CreateInstance(element, 1);
            list[0] = Value(element, schemaType is QmpSchemaArrayType a ? a.ElementType : schemaType, depth + 1, path + "[]");
            return list;
        }

        if (IsAlternate(type))
        {
            return Alternate(type, schemaType, depth, path);
        }

        if (schemaType is not QmpSchemaObjectType obj)
        {
            throw new InvalidOperationException($"'{path}': {type} is a record but this QEMU's schema has {schemaType.GetType().Name} {schemaType}.");
        }

        var branches = BranchesOf(type);
        if (obj.Tag is { } tag && branches.Count > 0)
        {
            return UnionValue(type, obj, tag, branches, depth, path);
        }

        return FillRecord(Activator.CreateInstance(type)!, obj, depth, path);
    }

    private object EnumValue(Type type, QmpSchemaType schemaType, string path)
    {
        var values = EnumValues(type);
        if (schemaType is not QmpSchemaEnumType e)
        {
            return values[0];
        }

        return values.FirstOrDefault(v => e.Contains(WireValue(v)))
            ?? throw new UnavailableException($"this QEMU knows none of {type.Name}'s values at '{path}'");
    }

    /// <summary>A union-typed member: the first branch record whose tag value this QEMU has.</summary>
    private object UnionValue(Type type, QmpSchemaObjectType obj, string tag, IReadOnlyList<Type> branches, int depth, string path)
    {
        var tagType = obj.FindMember(tag)?.Type as QmpSchemaEnumType;
        UnavailableException? last = null;
        if (BranchFor.TryGetValue(path, out var chosen))
        {
            var value = WireValue(TagProperty(type, tag).GetValue(Activator.CreateInstance(chosen))!);
            if (tagType is not null && !tagType.Contains(value))
            {
                throw new UnavailableException($"this QEMU has no {tag} '{value}' at '{path}'");
            }

            branches = [chosen];
        }

        foreach (var branch in branches)
        {
            var instance = Activator.CreateInstance(branch)!;
            var value = WireValue(TagProperty(type, tag).GetValue(instance)!);
            if (tagType is not null && !tagType.Contains(value))
            {
                continue;
            }

            try
            {
                return FillRecord(instance, obj, depth, path);
            }
            catch (UnavailableException e)
            {
                last = e;
            }
        }

        throw last ?? new UnavailableException($"this QEMU has no branch of {type.Name} at '{path}'");
    }

    /// <summary>An alternate: its scalar branches first (they end the recursion), then lists, then records.</summary>
    private object Alternate(Type type, QmpSchemaType schemaType, int depth, string path)
    {
        var branches = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name != "IsNull")
            .OrderBy(p => Rank(Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType))
            .ToList();
        foreach (var branch in branches)
        {
            var branchType = Nullable.GetUnderlyingType(branch.PropertyType) ?? branch.PropertyType;
            var choice = schemaType is QmpSchemaAlternateType alt ? Choice(alt, branchType) : schemaType;
            if (choice is null)
            {
                continue;
            }

            var instance = Activator.CreateInstance(type)!;
            branch.SetValue(instance, Value(branchType, choice, depth + 1, path));
            return instance;
        }

        throw new UnavailableException($"no branch of {type.Name} fits this QEMU at '{path}'");
    }

    private static int Rank(Type t) => t == typeof(string) ? 0 : t.IsPrimitive ? 1 : IsEnum(t) ? 2 : t.IsGenericType ? 3 : 4;

    /// <summary>The alternate's choice that takes a value of C# type <paramref name="type"/>, by JSON kind.</summary>
    private static QmpSchemaType? Choice(QmpSchemaAlternateType alternate, Type type) => alternate.Choices.FirstOrDefault(c => c switch
    {
        QmpSchemaBuiltinType { JsonType: "string" } => type == typeof(string),
        QmpSchemaBuiltinType { JsonType: "int" } => type.IsPrimitive && type != typeof(bool) && type != typeof(double),
        QmpSchemaBuiltinType { JsonType: "number" } => type.IsPrimitive && type != typeof(bool),
        QmpSchemaBuiltinType { JsonType: "boolean" } => type == typeof(bool),
        QmpSchemaEnumType => IsEnum(type) || type == typeof(string),
        QmpSchemaArrayType => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>),
        QmpSchemaObjectType => type.IsClass && type != typeof(string) && !type.IsGenericType,
        _ => false,
    });
}

/// <summary>The QEMU cannot take this record (or branch); the message says why.</summary>
internal sealed class UnavailableException(string reason) : Exception(reason);
