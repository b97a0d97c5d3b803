using Qmp.Net.QapiGen;

namespace Qmp.Net.Qapi.Tests.Generator;

public class QapiReaderTests
{
    private const string Source = """
        # -*- Mode: Python -*-
        ##
        # = A section
        ##

        ##
        # @Colour:
        #
        # Some prose that must never be kept.
        #
        # @red: prose
        #
        # @ultra-violet: more prose, which wraps onto
        #     a second line (since
        #     9.1)
        #
        # Since: 7.0
        ##
        { 'enum': 'Colour', 'data': [ 'red', { 'name': 'ultra-violet', 'if': 'CONFIG_UV' } ] }

        { 'command': 'paint', 'data': { 'colour': 'Colour', '*coats': 'uint8' },  # a trailing comment
          'returns': ['str'], 'allow-oob': true, 'features': [ 'unstable' ] }
        """;

    [Test]
    public void Expressions_are_read_with_single_quotes_comments_and_their_doc_block()
    {
        var exprs = QapiReader.ReadFile(Source, "test.json");

        Assert.That(exprs, Has.Count.EqualTo(2));
        Assert.That(exprs[0].Expression["enum"]!.GetValue<string>(), Is.EqualTo("Colour"));
        Assert.That(exprs[0].Doc, Is.Not.Null);
        Assert.That(exprs[1].Expression["data"]!["*coats"]!.GetValue<string>(), Is.EqualTo("uint8"));
        Assert.That(exprs[1].Expression["allow-oob"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public void Doc_facts_keep_the_versions_and_nothing_of_the_prose()
    {
        var doc = DocFacts.Parse(QapiReader.ReadFile(Source, "test.json")[0].Doc!);

        Assert.That(doc.Symbol, Is.EqualTo("Colour"));
        Assert.That(doc.Since, Is.EqualTo("7.0"));
        Assert.That(doc.MemberSince, Is.EquivalentTo(new Dictionary<string, string> { ["ultra-violet"] = "9.1" }));
    }

    [Test]
    public void A_snapshot_follows_includes_and_holds_facts_only()
    {
        var dir = Directory.CreateTempSubdirectory("qapigen-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "root.json"), "{ 'include': 'sub/colour.json' }\n{ 'pragma': { 'doc-required': true } }\n");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "sub"));
            File.WriteAllText(Path.Combine(dir.FullName, "sub", "colour.json"), Source);

            var snapshot = SnapshotBuilder.Build(Path.Combine(dir.FullName, "root.json"), "9.9.9", "test");
            var text = Cli.WriteSnapshot(snapshot);

            Assert.That(snapshot["entities"]!.AsArray(), Has.Count.EqualTo(2));
            Assert.That(text, Does.Contain("\"module\":\"sub/colour\"").And.Contain("\"since\":\"9.1\"").And.Contain("\"if\":\"CONFIG_UV\""));
            Assert.That(text, Does.Not.Contain("prose").And.Not.Contain("section").And.Not.Contain("comment"));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void An_unterminated_string_is_reported_with_its_line()
    {
        Assert.That(() => QapiReader.ReadFile("{ 'enum': 'X',\n 'data': [ 'a ] }", "bad.json"),
            Throws.TypeOf<FormatException>().With.Message.Contains("bad.json:2"));
    }
}
