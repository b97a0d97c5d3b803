using System.Reflection;
using System.Text.Json;
using Qmp.Net.Introspection;
using Qmp.Net.Qapi.Tests.Support;

namespace Qmp.Net.Qapi.Tests.RealQemu;

/// <summary>As libvirt's schema tests do: a sample of every generated argument record (every branch of an argument
/// union, empty branches included) whose command this QEMU has, serialized with the library's serializer, validates
/// against this QEMU's own introspection; what it cannot take is listed with the reason. Set <c>QAPI_SAMPLE_DUMP</c> to a
/// file name to get every sample's JSON there.</summary>
[TestFixtureSource(typeof(Qemus), nameof(Qemus.All))]
[Category("RealQemu")]
public class ArgumentSampleTests(QemuUnderTest qemu)
{
    private QmpSchema _schema = null!;

    [OneTimeSetUp]
    public async Task ReadSchema()
    {
        await using var process = await qemu.StartAsync();
        _schema = await process.Client.GetSchemaAsync();
    }

    [Test]
    public void Every_argument_record_with_its_mandatory_members_validates_against_the_QEMU() => SampleAll(fillOptional: false);

    [Test]
    public void Every_argument_record_with_the_optional_members_the_QEMU_has_validates_against_it() => SampleAll(fillOptional: true);

    private void SampleAll(bool fillOptional)
    {
        var sampler = new ArgumentSampler { FillOptional = fillOptional };
        var failures = new List<string>();
        var unavailable = new List<string>();
        int commands = 0, records = 0, branches = 0, passed = 0, notInQemu = 0;
        foreach (var (name, entry) in QapiCatalog.Commands.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (entry.Arguments is not { } type)
            {
                continue;
            }

            if (!_schema.Commands.TryGetValue(name, out var command))
            {
                notInQemu++;
                continue;
            }

            commands++;
            foreach (var (label, make) in Samples(type, command.Arguments))
            {
                if (label.Length == 0)
                {
                    records++;
                }
                else
                {
                    branches++;
                }

                object instance;
                try
                {
                    instance = make(sampler);
                }
                catch (UnavailableException e)
                {
                    unavailable.Add($"{name}{label}: {e.Message}");
                    continue;
                }

                var json = JsonSerializer.SerializeToElement(instance, QapiTypeInfo.For(type));
                var errors = _schema.Validate(name, json);
                if (Environment.GetEnvironmentVariable("QAPI_SAMPLE_DUMP") is { Length: > 0 } dump)
                {
                    File.AppendAllText(dump, $"{qemu.Label} {fillOptional} {name}{label} {json.GetRawText()}\n");
                }

                if (errors.Count == 0)
                {
                    passed++;
                }
                else
                {
                    failures.Add($"{name}{label}: {json.GetRawText()} → {string.Join("; ", errors.Select(e => $"{e.Path} {e.Kind}: {e.Message}"))}");
                }
            }
        }

        TestContext.Out.WriteLine($"QEMU {qemu.Label}{(fillOptional ? ", optional members filled" : "")}: {commands} commands with arguments " +
            $"({notInQemu} more not in this QEMU): {records} records and {branches} union branches sampled, {passed} passed, " +
            $"{unavailable.Count} unavailable, {failures.Count} failed");
        foreach (var line in unavailable)
        {
            TestContext.Out.WriteLine("  unavailable: " + line);
        }

        Assert.That(failures, Is.Empty);
        Assert.That(passed + unavailable.Count, Is.EqualTo(records + branches));
    }

    /// <summary>One sample per plain record, plus one per branch of each of its union-typed members (or lists of
    /// them: <c>chardev-add</c>'s <c>backend</c>, <c>transaction</c>'s <c>actions</c>); for a union, one per branch record
    /// and one per empty branch (the base record with its tag set).</summary>
    private static IEnumerable<(string Label, Func<ArgumentSampler, object> Make)> Samples(Type type, QmpSchemaObjectType schemaType)
    {
        var branchTypes = ArgumentSampler.BranchesOf(type);
        if (schemaType.Tag is not { } tag || branchTypes.Count == 0)
        {
            yield return ("", s => s.Fill(Activator.CreateInstance(type)!, schemaType));
            foreach (var (path, branch) in MemberBranches(type))
            {
                yield return ($" [{path} {branch.Name}]", s =>
                {
                    s.BranchFor[path] = branch;
                    try
                    {
                        return s.Fill(Activator.CreateInstance(type)!, schemaType);
                    }
                    finally
                    {
                        s.BranchFor.Clear();
                    }
                });
            }

            yield break;
        }

        var tagProperty = ArgumentSampler.TagProperty(type, tag);
        var tagEnum = schemaType.FindMember(tag)?.Type as QmpSchemaEnumType;
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var branch in branchTypes)
        {
            var value = ArgumentSampler.WireValue(tagProperty.GetValue(Activator.CreateInstance(branch))!);
            covered.Add(value);
            yield return ($" [{tag}={value}]", s => tagEnum is not null && !tagEnum.Contains(value)
                ? throw new UnavailableException($"this QEMU has no {tag} '{value}'")
                : s.Fill(Activator.CreateInstance(branch)!, schemaType));
        }

        foreach (var empty in ArgumentSampler.EnumValues(tagProperty.PropertyType).Where(v => !covered.Contains(ArgumentSampler.WireValue(v))))
        {
            var value = ArgumentSampler.WireValue(empty);
            yield return ($" [{tag}={value}, empty branch]", s =>
            {
                if (tagEnum is not null && !tagEnum.Contains(value))
                {
                    throw new UnavailableException($"this QEMU has no {tag} '{value}'");
                }

                var instance = Activator.CreateInstance(type)!;
                tagProperty.SetValue(instance, empty);
                return s.Fill(instance, schemaType);
            });
        }
    }

    /// <summary>The branches of the outer record's union-typed members, by member path.</summary>
    private static IEnumerable<(string Path, Type Branch)> MemberBranches(Type type)
    {
        foreach (var property in type.GetProperties().Where(p => p.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>() is not null))
        {
            var name = property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()!.Name;
            var memberType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (memberType.IsGenericType && memberType.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
            {
                memberType = memberType.GetGenericArguments()[0];
                name += "[]";
            }

            foreach (var branch in ArgumentSampler.BranchesOf(memberType))
            {
                yield return (name, branch);
            }
        }
    }
}
