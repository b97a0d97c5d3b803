using Qmp.Net.Shell.Completion;
using Qmp.Net.Shell.Editing;

namespace Qmp.Net.Shell.Tests.Editing;

public class LineEditorTests
{
    private static ConsoleKeyInfo Char(char c) => new(c, ConsoleKey.NoName, false, false, false);

    private static ConsoleKeyInfo Key(ConsoleKey key, char c = '\0', bool ctrl = false, bool alt = false) => new(c, key, false, alt, ctrl);

    private static ConsoleKeyInfo Ctrl(char letter) => new((char)(char.ToUpperInvariant(letter) - 'A' + 1), ConsoleKey.A + (char.ToUpperInvariant(letter) - 'A'), false, false, true);

    private static void Type(LineEditor editor, string text)
    {
        foreach (var c in text)
        {
            Assert.That(editor.Handle(Char(c)), Is.EqualTo(EditorResult.Continue));
        }
    }

    private static LineEditor Editor(History? history = null, ICompleter? completer = null) => new(history ?? new History(null), completer);

    [Test]
    public void Typed_characters_go_in_at_the_cursor_and_arrows_Home_and_End_move_it()
    {
        var editor = Editor();
        Type(editor, "qery");
        editor.Handle(Key(ConsoleKey.Home));
        editor.Handle(Key(ConsoleKey.RightArrow));
        Type(editor, "u");
        Assert.That(editor.Text, Is.EqualTo("query"));
        Assert.That(editor.Cursor, Is.EqualTo(2));
        editor.Handle(Key(ConsoleKey.End));
        editor.Handle(Key(ConsoleKey.LeftArrow));
        editor.Handle(Key(ConsoleKey.Backspace, '\b'));
        Assert.That(editor.Text, Is.EqualTo("quey"));
        editor.Handle(Key(ConsoleKey.Delete));
        Assert.That(editor.Text, Is.EqualTo("que"));
    }

    [Test]
    public void Ctrl_A_E_W_U_K_and_Y_edit_as_readline_does()
    {
        var editor = Editor();
        Type(editor, "device_add driver=e1000 id=n0");
        editor.Handle(Ctrl('w'));
        Assert.That(editor.Text, Is.EqualTo("device_add driver=e1000 "));
        editor.Handle(Ctrl('a'));
        Assert.That(editor.Cursor, Is.Zero);
        editor.Handle(Ctrl('e'));
        Assert.That(editor.Cursor, Is.EqualTo(editor.Text.Length));
        editor.Handle(Key(ConsoleKey.LeftArrow, ctrl: true));
        Assert.That(editor.Cursor, Is.EqualTo("device_add driver=".Length));
        editor.Handle(Ctrl('k'));
        Assert.That(editor.Text, Is.EqualTo("device_add driver="));
        editor.Handle(Ctrl('y'));
        Assert.That(editor.Text, Is.EqualTo("device_add driver=e1000 "));
        editor.Handle(Ctrl('u'));
        Assert.That(editor.Text, Is.Empty);
    }

    [Test]
    public void Enter_submits_Ctrl_C_interrupts_and_Ctrl_D_ends_only_an_empty_line()
    {
        var editor = Editor();
        Type(editor, "ab");
        Assert.That(editor.Handle(Key(ConsoleKey.Enter, '\r')), Is.EqualTo(EditorResult.Submit));
        Assert.That(editor.Handle(Ctrl('c')), Is.EqualTo(EditorResult.Interrupted));
        editor.Handle(Key(ConsoleKey.Home));
        Assert.That(editor.Handle(Ctrl('d')), Is.EqualTo(EditorResult.Continue), "Ctrl+D deletes under the cursor on a non-empty line");
        Assert.That(editor.Text, Is.EqualTo("b"));
        editor.Reset();
        Assert.That(editor.Handle(Ctrl('d')), Is.EqualTo(EditorResult.EndOfInput));
        Assert.That(editor.Handle(Ctrl('l')), Is.EqualTo(EditorResult.ClearScreen));
    }

    [Test]
    public void Up_and_Down_walk_the_history_and_keep_the_line_being_typed()
    {
        var history = new History(null);
        history.Add("query-name");
        history.Add("query-status");
        var editor = Editor(history);
        Type(editor, "draft");
        editor.Handle(Key(ConsoleKey.UpArrow));
        Assert.That(editor.Text, Is.EqualTo("query-status"));
        editor.Handle(Key(ConsoleKey.UpArrow));
        editor.Handle(Key(ConsoleKey.UpArrow));
        Assert.That(editor.Text, Is.EqualTo("query-name"));
        editor.Handle(Key(ConsoleKey.DownArrow));
        editor.Handle(Key(ConsoleKey.DownArrow));
        Assert.That(editor.Text, Is.EqualTo("draft"));
    }

    [Test]
    public void Ctrl_R_searches_the_history_backwards_and_Enter_takes_the_match()
    {
        var history = new History(null);
        history.Add("query-name");
        history.Add("query-status");
        history.Add("stop");
        var editor = Editor(history);
        editor.Handle(Ctrl('r'));
        Type(editor, "query");
        Assert.That(editor.Text, Is.EqualTo("query-status"));
        Assert.That(editor.Render("> ", 2, 80).Lines[0], Is.EqualTo("(reverse-i-search)'query': query-status"));
        editor.Handle(Ctrl('r'));
        Assert.That(editor.Text, Is.EqualTo("query-name"));
        Type(editor, "x");
        Assert.That(editor.Render("> ", 2, 80).Lines[0], Does.StartWith("(failed reverse-i-search)'queryx'"));
        editor.Handle(Key(ConsoleKey.Backspace, '\b'));
        Assert.That(editor.Handle(Key(ConsoleKey.Enter, '\r')), Is.EqualTo(EditorResult.Submit));
        Assert.That(editor.Text, Is.EqualTo("query-status"));
    }

    [Test]
    public void Ctrl_G_leaves_the_search_with_the_line_as_it_was_and_another_key_keeps_the_match()
    {
        var history = new History(null);
        history.Add("query-name");
        var editor = Editor(history);
        Type(editor, "mine");
        editor.Handle(Ctrl('r'));
        Type(editor, "name");
        editor.Handle(Ctrl('g'));
        Assert.That(editor.Text, Is.EqualTo("mine"));
        Assert.That(editor.Searching, Is.False);

        editor.Handle(Ctrl('r'));
        Type(editor, "name");
        editor.Handle(Key(ConsoleKey.End));
        Type(editor, "!");
        Assert.That(editor.Text, Is.EqualTo("query-name!"));
    }

    private sealed class FixedCompleter(params string[] candidates) : ICompleter
    {
        public CompletionResult Complete(string line, int cursor)
        {
            var start = line.LastIndexOf(' ', Math.Max(0, cursor - 1)) + 1;
            return new(start, candidates.Where(c => c.StartsWith(line[start..cursor], StringComparison.Ordinal)).ToList());
        }
    }

    [Test]
    public void Tab_inserts_a_single_candidate_or_what_all_share_and_lists_them_when_that_is_all()
    {
        var editor = Editor(completer: new FixedCompleter("query-stats ", "query-status ", "stop "));
        Type(editor, "st");
        editor.Handle(Key(ConsoleKey.Tab, '\t'));
        Assert.That(editor.Text, Is.EqualTo("stop "));

        editor.Reset();
        Type(editor, "query-s");
        Assert.That(editor.Handle(Key(ConsoleKey.Tab, '\t')), Is.EqualTo(EditorResult.Continue));
        Assert.That(editor.Text, Is.EqualTo("query-stat"));
        Assert.That(editor.Handle(Key(ConsoleKey.Tab, '\t')), Is.EqualTo(EditorResult.ShowCandidates));
        Assert.That(editor.Candidates, Is.EqualTo(new[] { "query-stats ", "query-status " }));
    }

    [Test]
    public void A_long_line_scrolls_so_that_the_cursor_stays_on_screen()
    {
        var editor = Editor();
        Type(editor, new string('a', 50) + new string('b', 50));
        var view = editor.Render("> ", 2, 40);
        Assert.That(view.Lines[0], Is.EqualTo("> " + new string('b', 37)));
        Assert.That(view.CursorColumn, Is.EqualTo(39));
        editor.Handle(Key(ConsoleKey.Home));
        view = editor.Render("> ", 2, 40);
        Assert.That(view.Lines[0], Is.EqualTo("> " + new string('a', 37)));
        Assert.That(view.CursorColumn, Is.EqualTo(2));
    }

    [Test]
    public void A_space_typed_right_after_a_completion_that_ended_in_one_is_not_doubled()
    {
        var editor = Editor(completer: new FixedCompleter("stop ", "full "));
        Type(editor, "st");
        editor.Handle(Key(ConsoleKey.Tab, '\t'));
        Assert.That(editor.Text, Is.EqualTo("stop "));
        Type(editor, " x");
        Assert.That(editor.Text, Is.EqualTo("stop x"));

        // Only the key right after Tab is absorbed: a second space is the user's own.
        editor.Reset();
        Type(editor, "fu");
        editor.Handle(Key(ConsoleKey.Tab, '\t'));
        Type(editor, "  ");
        Assert.That(editor.Text, Is.EqualTo("full  "));

        // Tab on a value that is already complete does not add a second space either.
        editor.Reset();
        Type(editor, "full");
        editor.Handle(Key(ConsoleKey.Tab, '\t'));
        editor.Handle(Key(ConsoleKey.Tab, '\t'));
        Assert.That(editor.Text, Is.EqualTo("full "));
    }

    [Test]
    public void Wide_characters_take_two_columns_and_a_surrogate_pair_moves_and_deletes_as_one()
    {
        var editor = Editor();
        Type(editor, "name=\u540d\u524d");
        Assert.That(editor.Render("> ", 2, 40).CursorColumn, Is.EqualTo(2 + 5 + 4));

        editor.Reset();
        editor.Insert("x=\U0001F600");
        Assert.That(editor.Render("> ", 2, 40).CursorColumn, Is.EqualTo(2 + 2 + 2));
        editor.Handle(Key(ConsoleKey.LeftArrow));
        Assert.That(editor.Cursor, Is.EqualTo(2));
        editor.Handle(Key(ConsoleKey.End));
        editor.Handle(Key(ConsoleKey.Backspace, '\b'));
        Assert.That(editor.Text, Is.EqualTo("x="));
    }

    [Test]
    public void A_long_line_of_wide_characters_scrolls_by_columns()
    {
        var editor = Editor();
        Type(editor, new string('\u6f22', 30));
        var view = editor.Render("> ", 2, 40);
        Assert.That(view.Lines[0], Is.EqualTo("> " + new string('\u6f22', 18)));
        Assert.That(view.CursorColumn, Is.EqualTo(2 + 36));
        editor.Handle(Key(ConsoleKey.Home));
        view = editor.Render("> ", 2, 40);
        Assert.That(view.Lines[0], Is.EqualTo("> " + new string('\u6f22', 18)));
        Assert.That(view.CursorColumn, Is.EqualTo(2));
    }
}
