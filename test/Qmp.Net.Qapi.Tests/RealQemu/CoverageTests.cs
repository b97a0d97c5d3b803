using System.Reflection;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>Every generated command, event and enum value against each real QEMU's query-qmp-schema, as libvirt's schema
/// tests do: present there, or marked unavailable for that version (not in its source schema, or built only under a
/// condition this x86_64 QEMU does not meet).</summary>
[TestFixtureSource(typeof(Qemus), nameof(Qemus.All))]
[Category("RealQemu")]
public class CoverageTests(QemuUnderTest qemu)
{
    private IntrospectedSchema _schema = null!;

    [OneTimeSetUp]
    public async Task ReadSchema()
    {
        await using var process = await qemu.StartAsync();
        _schema = await IntrospectedSchema.QueryAsync(process.Client);
    }

    [Test]
    public void Every_command_of_the_QEMU_has_its_typed_method()
    {
        var missing = _schema.Commands.Keys.Where(c => !QapiCatalog.Commands.TryGetValue(c, out var e) || !e.Versions.Contains(qemu.Label)).ToList();

        TestContext.Out.WriteLine($"QEMU {qemu.Label}: {_schema.Commands.Count} commands in its introspection, {_schema.Commands.Count - missing.Count} typed");
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void Every_event_of_the_QEMU_has_its_typed_record()
    {
        var missing = _schema.Events.Keys.Where(c => !QapiCatalog.Events.TryGetValue(c, out var e) || !e.Versions.Contains(qemu.Label)).ToList();

        TestContext.Out.WriteLine($"QEMU {qemu.Label}: {_schema.Events.Count} events in its introspection, {_schema.Events.Count - missing.Count} typed");
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void Every_generated_command_is_present_or_marked_unavailable_for_this_version()
    {
        var present = 0;
        var conditional = new List<string>();
        var otherVersion = 0;
        var unexplained = new List<string>();
        foreach (var (name, entry) in QapiCatalog.Commands)
        {
            if (_schema.Commands.ContainsKey(name))
            {
                present++;
                if (!entry.Versions.Contains(qemu.Label))
                {
                    unexplained.Add(name + " (present, but the catalog says not in " + qemu.Label + ")");
                }
            }
            else if (!entry.Versions.Contains(qemu.Label))
            {
                otherVersion++;
            }
            else if (entry.Condition is not null)
            {
                conditional.Add($"{name} [{entry.Condition}]");
            }
            else
            {
                unexplained.Add(name);
            }
        }

        TestContext.Out.WriteLine($"QEMU {qemu.Label}: of {QapiCatalog.Commands.Count} generated commands {present} present, {conditional.Count} not built here ({string.Join(", ", conditional)}), {otherVersion} not in this version");
        Assert.That(unexplained, Is.Empty);
    }

    [Test]
    public void Every_generated_event_is_present_or_marked_unavailable_for_this_version()
    {
        var unexplained = QapiCatalog.Events
            .Where(kv => !_schema.Events.ContainsKey(kv.Key) && kv.Value.Versions.Contains(qemu.Label) && kv.Value.Condition is null)
            .Select(kv => kv.Key).ToList();
        var present = QapiCatalog.Events.Keys.Count(_schema.Events.ContainsKey);

        TestContext.Out.WriteLine($"QEMU {qemu.Label}: of {QapiCatalog.Events.Count} generated events {present} present");
        Assert.That(unexplained, Is.Empty);
    }

    [Test]
    public void Every_enum_value_the_QEMU_knows_is_a_known_value_of_a_generated_enum()
    {
        var generated = typeof(QapiCommands).Assembly.GetTypes()
            .Where(t => t.IsValueType && t.GetNestedType("Known") is not null)
            .Select(t => t.GetProperties(BindingFlags.Public | BindingFlags.Static).Where(p => p.PropertyType == t)
                .Select(p => (string)t.GetProperty("Value")!.GetValue(p.GetValue(null))!).ToHashSet(StringComparer.Ordinal))
            .ToList();
        var unmatched = _schema.Enums.Where(e => !generated.Any(g => e.Value.IsSubsetOf(g)))
            .Select(e => $"{e.Key}: {string.Join(",", e.Value)}").ToList();

        TestContext.Out.WriteLine($"QEMU {qemu.Label}: {_schema.Enums.Count} enums in its introspection, {_schema.Enums.Count - unmatched.Count} fully known by a generated enum");
        Assert.That(unmatched, Is.Empty);
    }
}
