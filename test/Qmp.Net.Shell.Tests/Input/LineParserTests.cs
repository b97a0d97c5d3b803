using System.Text.Json.Nodes;
using Qmp.Net.Shell.Input;

namespace Qmp.Net.Shell.Tests.Input;

public class LineParserTests
{
    private static string Args(string line) => LineParser.Parse(line)!.Arguments!.ToJsonString();

    [Test]
    public void A_blank_line_is_no_command()
    {
        Assert.That(LineParser.Parse("   "), Is.Null);
    }

    [Test]
    public void A_command_without_arguments_has_no_arguments_object()
    {
        var request = LineParser.Parse("  query-status ")!;
        Assert.That(request.Command, Is.EqualTo("query-status"));
        Assert.That(request.Arguments, Is.Null);
        Assert.That(request.CommandSpan, Is.EqualTo((2, 12)));
    }

    [Test]
    public void Key_value_words_become_string_members()
    {
        Assert.That(Args("device_add driver=virtio-net-pci id=nic0"), Is.EqualTo("""{"driver":"virtio-net-pci","id":"nic0"}"""));
    }

    [TestCase("x=true", """{"x":true}""")]
    [TestCase("x=false", """{"x":false}""")]
    [TestCase("x=null", """{"x":null}""")]
    [TestCase("x=3", """{"x":3}""")]
    [TestCase("x=-2.5e3", """{"x":-2.5e3}""")]
    [TestCase("x=18446744073709551615", """{"x":18446744073709551615}""")]
    [TestCase("x=[1,2]", """{"x":[1,2]}""")]
    [TestCase("""x={"a":1}""", """{"x":{"a":1}}""")]
    [TestCase("""x={"a": [1, 2], "b": "c d"}""", """{"x":{"a":[1,2],"b":"c d"}}""")]
    [TestCase("x=1G", """{"x":"1G"}""")]
    [TestCase("x=0x10", """{"x":"0x10"}""")]
    [TestCase("x=01", """{"x":"01"}""")]
    [TestCase("x=True", """{"x":"True"}""")]
    [TestCase("x=", """{"x":""}""")]
    [TestCase("x=a=b", """{"x":"a=b"}""")]
    public void Values_are_JSON_where_they_are_JSON_and_strings_otherwise(string word, string expected)
    {
        Assert.That(Args("cmd " + word), Is.EqualTo(expected));
    }

    [TestCase("""x="3" """, """{"x":"3"}""")]
    [TestCase("""x="a b" """, """{"x":"a b"}""")]
    [TestCase("""x="say \"hi\"" """, """{"x":"say \u0022hi\u0022"}""")]
    [TestCase("x='a b'", """{"x":"a b"}""")]
    [TestCase("""x='C:\dir "q"'""", """{"x":"C:\\dir \u0022q\u0022"}""")]
    [TestCase("x='true'", """{"x":"true"}""")]
    public void Quotes_make_strings_with_spaces_or_JSON_like_text(string word, string expected)
    {
        Assert.That(Args("cmd " + word), Is.EqualTo(expected));
    }

    [Test]
    public void Dotted_keys_build_nested_objects()
    {
        Assert.That(
            Args("blockdev-add driver=qcow2 node-name=d0 file.driver=file file.filename=/tmp/disk.qcow2 file.aio.x=1"),
            Is.EqualTo("""{"driver":"qcow2","node-name":"d0","file":{"driver":"file","filename":"/tmp/disk.qcow2","aio":{"x":1}}}"""));
    }

    [Test]
    public void A_dotted_key_adds_to_an_object_given_as_JSON_and_the_other_way_round()
    {
        Assert.That(Args("""c file={"driver":"file"} file.filename=a"""), Is.EqualTo("""{"file":{"driver":"file","filename":"a"}}"""));
        Assert.That(Args("""c file.filename=a file={"driver":"file"}"""), Is.EqualTo("""{"file":{"filename":"a","driver":"file"}}"""));
    }

    [Test]
    public void Spans_record_where_each_member_path_was_typed()
    {
        var request = LineParser.Parse("blockdev-add driver=qcow2 file.filename=x")!;
        Assert.That(request.Spans["driver"], Is.EqualTo(new ArgumentSpan(13, 6, 20, 5)));
        Assert.That(request.Spans["file.filename"], Is.EqualTo(new ArgumentSpan(26, 13, 40, 1)));
        Assert.That(request.Spans["file"], Is.EqualTo(new ArgumentSpan(26, 4, 40, 0)));
        Assert.That(request.Locate("file.filename", pointAtValue: true), Is.EqualTo((40, 1)));
        Assert.That(request.Locate("file.driver", pointAtValue: false), Is.EqualTo((26, 4)), "a path not typed points at its typed parent");
        Assert.That(request.Locate("cache", pointAtValue: false), Is.EqualTo((0, 12)), "a path with no typed parent points at the command");
    }

    [Test]
    public void A_raw_JSON_line_is_sent_as_written()
    {
        var request = LineParser.Parse("""  {"execute": "human-monitor-command", "arguments": {"command-line": "info status"}, "id": 7}""")!;
        Assert.That(request.Command, Is.EqualTo("human-monitor-command"));
        Assert.That(request.Arguments!.ToJsonString(), Is.EqualTo("""{"command-line":"info status"}"""));
        Assert.That(request.Oob, Is.False);
    }

    [Test]
    public void A_raw_exec_oob_line_is_sent_out_of_band()
    {
        var request = LineParser.Parse("""{"exec-oob": "query-yank"}""")!;
        Assert.That(request.Command, Is.EqualTo("query-yank"));
        Assert.That(request.Oob, Is.True);
        Assert.That(request.Arguments, Is.Null);
    }

    [Test]
    public void An_exclamation_mark_sends_the_rest_to_the_human_monitor()
    {
        var request = LineParser.Parse("!info  status ")!;
        Assert.That(request.Command, Is.EqualTo("human-monitor-command"));
        Assert.That(request.Arguments!.ToJsonString(), Is.EqualTo("""{"command-line":"info  status"}"""));
    }

    [Test]
    public void A_transaction_holds_one_typed_action_per_comma_separated_part()
    {
        var request = LineParser.Parse(
            "transaction( block-dirty-bitmap-add node=d0 name=b0, block-dirty-bitmap-add node=d1 name=b1 persistent=true ,abort )")!;
        Assert.That(request.Command, Is.EqualTo("transaction"));
        Assert.That(request.Arguments!.ToJsonString(), Is.EqualTo(
            """{"actions":[{"type":"block-dirty-bitmap-add","data":{"node":"d0","name":"b0"}},""" +
            """{"type":"block-dirty-bitmap-add","data":{"node":"d1","name":"b1","persistent":true}},{"type":"abort","data":{}}]}"""));
        Assert.That(request.Spans.ContainsKey("actions[1].data.persistent"), Is.True);
        Assert.That(request.Spans["actions[2].type"].KeyStart, Is.EqualTo(request.Text.IndexOf("abort", StringComparison.Ordinal)));
    }

    [Test]
    public void A_transaction_action_may_hold_JSON_with_commas()
    {
        Assert.That(Args("transaction( a x=[1,2], b y={\"k\": [3, 4]} )"),
            Is.EqualTo("""{"actions":[{"type":"a","data":{"x":[1,2]}},{"type":"b","data":{"y":{"k":[3,4]}}}]}"""));
    }

    [Test]
    public void One_shot_words_may_hold_spaces_and_keep_their_positions()
    {
        var request = LineParser.ParseWords("human-monitor-command", ["command-line=info status", "x=[1, 2]"]);
        Assert.That(request.Text, Is.EqualTo("human-monitor-command command-line=info status x=[1, 2]"));
        Assert.That(request.Arguments!.ToJsonString(), Is.EqualTo("""{"command-line":"info status","x":[1,2]}"""));
        var error = Assert.Throws<LineParseException>(() => LineParser.ParseWords("c", ["a=1", "oops"]))!;
        Assert.That(error.Position, Is.EqualTo(6));
    }

    // Each case: the line, where the pointer must be, and a word the message must contain.
    [TestCase("x=1", 0, "command name")]
    [TestCase("cmd oops", 4, "expected key=value")]
    [TestCase("cmd a=1 =2", 8, "key")]
    [TestCase("cmd a=1 a=2", 8, "twice")]
    [TestCase("cmd a=1 a.b=2", 8, "not an object")]
    [TestCase("cmd a..b=1", 6, "empty part")]
    [TestCase("cmd a/b=1", 5, "cannot be part of a key")]
    [TestCase("cm@d", 2, "command name")]
    [TestCase("cmd x=[1,2", 6, "not closed")]
    [TestCase("cmd x={\"a\" 1}", 11, "JSON")]
    [TestCase("cmd x=[1,,2]", 9, "JSON")]
    [TestCase("cmd x=\"abc", 6, "quote")]
    [TestCase("cmd x='abc", 6, "quote")]
    [TestCase("cmd x=1]", 7, "closes nothing")]
    [TestCase("cmd x=[1}", 8, "does not match")]
    [TestCase("cmd x=\"a\"b", 9, "JSON")]
    [TestCase("{\"execute\": 1}", 0, "command name")]
    [TestCase("{\"execute\": \"a\", \"bogus\": 1}", 0, "bogus")]
    [TestCase("{\"arguments\": {}}", 0, "execute")]
    [TestCase("{\"execute\": \"a\"", 14, "JSON")]
    [TestCase("[1]", 0, "command name")]
    [TestCase("!", 0, "human monitor")]
    [TestCase("transaction( a x=1", 17, "not closed")]
    [TestCase("transaction( a x=1,, b )", 19, "action is missing")]
    [TestCase("transaction( )", 13, "action is missing")]
    [TestCase("transaction( a x )", 15, "key=value")]
    public void A_mistake_is_reported_with_its_position(string line, int position, string words)
    {
        var error = Assert.Throws<LineParseException>(() => LineParser.Parse(line))!;
        Assert.That(error.Message, Does.Contain(words));
        Assert.That(error.Position, Is.EqualTo(position), error.Message);
    }

    [Test]
    public void The_tokenizer_keeps_spaces_inside_quotes_and_brackets_in_one_word()
    {
        var tokens = LineTokenizer.Split("a  b='x y' c=[1, \"] \"] d={ } ");
        Assert.That(tokens.Select(t => t.Text), Is.EqualTo(new[] { "a", "b='x y'", "c=[1, \"] \"]", "d={ }" }));
        Assert.That(tokens.Select(t => t.Start), Is.EqualTo(new[] { 0, 3, 11, 23 }));
    }

    [Test]
    public void The_lenient_tokenizer_returns_the_words_of_an_unfinished_line()
    {
        var tokens = LineTokenizer.Split("cmd x=[1, 2 y='ab", lenient: true);
        Assert.That(tokens.Select(t => t.Text), Is.EqualTo(new[] { "cmd", "x=[1, 2 y='ab" }));
        Assert.Throws<LineParseException>(() => LineTokenizer.Split("cmd x=[1, 2 y='ab"));
    }

    [Test]
    public void A_parsed_value_keeps_big_integers_exactly()
    {
        var value = LineParser.ParseValue("18446744073709551615", 0);
        Assert.That(value!.ToJsonString(), Is.EqualTo("18446744073709551615"));
        Assert.That(value, Is.InstanceOf<JsonValue>());
    }
}
