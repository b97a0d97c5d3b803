using System.Reflection;
using System.Text.Json.Serialization;
using Qmp.Net.Qapi.Serialization;
using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests.Generator;

/// <summary>Walks the whole public surface of Qmp.Net.Qapi (QMP and guest agent) and checks the one naming rule of
/// docs/qapi.md ("Names") on every type, member, union branch, enum value and command method; each failure is listed.</summary>
public class NamingRuleTests
{
    /// <summary>What a member name may not be, whatever the record: object's members and a record's own.</summary>
    private static readonly HashSet<string> s_recordMembers = ["EqualityContract", "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "PrintMembers", "Deconstruct"];

    /// <summary>The members of every generated enum struct.</summary>
    private static readonly HashSet<string> s_enumMembers = ["Value", "Kind", "Known", "Equals", "GetHashCode", "ToString", "GetType", "Unknown", "Parse"];

    private static readonly Type[] s_types = [.. typeof(QapiCommands).Assembly.GetExportedTypes()];

    [Test]
    public void Type_names_are_PascalCase()
    {
        // Compiler-made types (the C# 14 extension blocks' <G>$... holders) are not names anyone chose.
        var bad = s_types.Where(t => !t.Name.Contains('<', StringComparison.Ordinal) && !IsPascal(t.Name.Split('`')[0])).Select(t => t.FullName).ToList();

        Assert.That(bad, Is.Empty);
    }

    [Test]
    public void Every_member_is_its_QAPI_name_in_PascalCase_with_Value_only_on_a_clash()
    {
        var bad = new List<string>();
        foreach (var type in s_types)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } wire)
                {
                    continue;
                }

                var pascal = Naming.Pascal(wire.Name);
                var clash = pascal == type.Name || s_recordMembers.Contains(pascal) || Inherited(type, pascal);
                if (property.Name != (clash ? pascal + "Value" : pascal))
                {
                    bad.Add($"{type.FullName}.{property.Name} ('{wire.Name}'{(clash ? ", a clash" : "")})");
                }
            }
        }

        Assert.That(bad, Is.Empty);
    }

    [Test]
    public void Every_union_branch_is_its_tag_value_in_PascalCase_and_Branch()
    {
        var bad = new List<string>();
        var branches = 0;
        foreach (var type in s_types.Where(t => t.IsNested && t.DeclaringType!.IsAssignableFrom(t)))
        {
            branches++;
            var instance = Activator.CreateInstance(type)!;
            var tags = type.GetProperties()
                .Where(p => typeof(IQapiEnum).IsAssignableFrom(p.PropertyType) && p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
                .Select(p => ((IQapiEnum)p.GetValue(instance)!).Value)
                .Where(v => v.Length > 0)
                .ToList();
            if (tags.Count != 1 || type.Name != Naming.Pascal(tags[0]) + "Branch")
            {
                bad.Add($"{type.FullName} (tag {string.Join(", ", tags)})");
            }
        }

        Assert.That(branches, Is.GreaterThan(250));
        Assert.That(bad, Is.Empty);
    }

    [Test]
    public void Every_enum_value_is_its_wire_value_in_PascalCase()
    {
        var bad = new List<string>();
        foreach (var type in s_types.Where(t => t.IsValueType && typeof(IQapiEnum).IsAssignableFrom(t)))
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Static).Where(p => p.PropertyType == type))
            {
                var value = ((IQapiEnum)property.GetValue(null)!).Value;
                var pascal = Naming.Pascal(value);
                var expected = s_enumMembers.Contains(pascal) || pascal == type.Name ? pascal + "Value" : pascal;
                if (property.Name != expected)
                {
                    bad.Add($"{type.FullName}.{property.Name} ('{value}')");
                }
            }
        }

        Assert.That(bad, Is.Empty);
    }

    [Test]
    public void Every_command_is_its_name_in_PascalCase_and_Async()
    {
        var methods = typeof(QapiCommands).GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
        var missing = QapiCatalog.Commands.Keys.Where(c => !methods.Contains(Naming.Pascal(c) + "Async")).ToList();

        Assert.That(missing, Is.Empty);
    }

    private static bool IsPascal(string name) =>
        name.Length > 0 && (char.IsAsciiLetterUpper(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Whether a base type (a union base, <see cref="QapiEvent"/>) already has a public member of that name.</summary>
    private static bool Inherited(Type type, string name) =>
        type.BaseType is { } b && b != typeof(object) && b.GetMember(name, BindingFlags.Public | BindingFlags.Instance).Length > 0;
}
