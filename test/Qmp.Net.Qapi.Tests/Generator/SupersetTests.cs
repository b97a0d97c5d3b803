using Qmp.Net.Qapi.Tests.Support;
using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests.Generator;

public class SupersetTests
{
    private static readonly Lazy<Superset> s_set = new(() => new Superset(QapiGen.Generator.LoadSchemas(RepositoryPaths.Schemas)));

    [Test]
    public void A_type_renamed_between_versions_is_matched_by_where_it_is_used()
    {
        var algo = s_set.Value.Types["QCryptoCipherAlgo"];

        Assert.That(s_set.Value.OriginalName(algo, "7.2"), Is.EqualTo("QCryptoCipherAlgorithm"));
        Assert.That(s_set.Value.OriginalName(algo, "10.0"), Is.EqualTo("QCryptoCipherAlgo"));
        Assert.That(s_set.Value.Types.ContainsKey("QCryptoCipherAlgorithm"), Is.False);
    }

    [Test]
    public void The_superset_holds_every_command_and_event_of_each_version()
    {
        foreach (var schema in s_set.Value.Schemas)
        {
            Assert.That(s_set.Value.Commands.Select(c => c.Name), Is.SupersetOf(schema.Commands.Keys), schema.Version);
            Assert.That(s_set.Value.Events.Select(c => c.Name), Is.SupersetOf(schema.Events.Keys), schema.Version);
        }
    }

    [Test]
    public void A_member_only_one_version_has_is_recorded_per_version()
    {
        var machine = s_set.Value.Types["MachineInfo"];
        var acpi = machine.Members.Single(m => m.Name == "acpi");

        Assert.That(acpi.PerVersion.Keys, Is.EquivalentTo(new[] { "10.0" }));
    }

    [Test]
    public void Enum_values_are_merged_from_every_version()
    {
        var runState = s_set.Value.Types["RunState"];

        Assert.That(runState.Values.Select(v => v.Name), Does.Contain("prelaunch").And.Contain("colo"));
    }

    /// <summary>The one reproducibility check (CI runs it with the tests): every file under Generated/ (QMP, the guest
    /// agent's Qga/, the .editorconfig) is exactly what the generator writes, and nothing else is there.</summary>
    [Test]
    public void The_committed_generated_files_are_what_the_generator_writes()
    {
        var dir = Directory.CreateTempSubdirectory("qapigen-out-");
        try
        {
            QapiGen.Generator.Run(RepositoryPaths.Schemas, dir.FullName);
            static List<string> Files(string root) =>
                [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];
            var expected = Files(dir.FullName);
            var committed = Files(RepositoryPaths.Generated);

            Assert.That(committed, Is.EqualTo(expected));
            foreach (var name in expected)
            {
                Assert.That(File.ReadAllText(Path.Combine(RepositoryPaths.Generated, name!)), Is.EqualTo(File.ReadAllText(Path.Combine(dir.FullName, name!))), name);
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
