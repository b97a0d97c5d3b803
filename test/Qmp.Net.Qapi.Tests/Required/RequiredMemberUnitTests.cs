using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi.Tests.Required;

/// <summary>Mandatory members of what a user sends are C# <c>required</c>: leaving one out does not compile (checked by
/// compiling snippets with Roslyn against the built Qmp.Net.Qapi), while reading stays tolerant of a missing member.</summary>
public class RequiredMemberUnitTests
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p))]);

    private static IReadOnlyList<Diagnostic> Compile(string body)
    {
        var source = $$"""
            using Qmp.Net.Qapi;
            public static class Snippet
            {
                public static object Run()
                {
                    {{body}}
                }
            }
            """;
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview))],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
    }

    [Test]
    public void Arguments_with_every_mandatory_member_compile()
    {
        var errors = Compile("""return new BlockdevMirrorArguments { Device = "d0", Target = "t0", Sync = MirrorSyncMode.Full };""");

        Assert.That(errors, Is.Empty, string.Join("\n", errors));
    }

    [TestCase("""return new BlockdevMirrorArguments { Device = "d0", Target = "t0" };""", "Sync")]
    [TestCase("""return new BlockdevMirrorArguments { Target = "t0", Sync = MirrorSyncMode.Full };""", "Device")]
    [TestCase("""return new BlockdevOptions.FileBranch { NodeName = "f0" };""", "Filename")]
    [TestCase("""return new QomSetArguments { Path = "/machine", Property = "x" };""", "Value")]
    public void Omitting_a_mandatory_member_does_not_compile(string body, string member)
    {
        var errors = Compile(body);

        // CS9035: Required member 'X.Y' must be set in the object initializer or attribute constructor.
        Assert.That(errors.Select(e => e.Id), Is.EqualTo(new[] { "CS9035" }), string.Join("\n", errors));
        Assert.That(errors[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("." + member + "'"));
    }

    [Test]
    public void A_reply_without_a_required_member_still_decodes()
    {
        using var json = JsonDocument.Parse("""{"device": "d0", "unknown": 1}""");

        var value = QapiJson.Read<BlockdevMirrorArguments>(json.RootElement);

        Assert.That(value.Device, Is.EqualTo("d0"));
        Assert.That(value.Sync.Value, Is.Empty, "a missing mandatory enum is the default value");
    }
}
