"""What people and pipes read: one line per memory when piped, a readable table on a terminal,
search snippets with the match marked, the offline answer first, words instead of reprs."""

from __future__ import annotations

import re

import pytest

from memcli.cli import COMMANDS
from tests.conftest import run_mem

ANSI = re.compile(r"\x1b\[[0-9;]*m")
PLAIN_LINE = re.compile(r"#\d+  \d{4}-\d\d-\d\d \d\d:\d\d  (episodic|semantic|procedural)( \[\w+\])?  \S.*\S")
LONG = ("Morning routine and errands. " * 12 + "Then I renewed my passport at the post office in Lisbon, "
        "which took an hour.\nAfterwards coffee.\n" + "Evening chores and reading. " * 12)


@pytest.fixture
def piped(monkeypatch):
    """`mem` as a subprocess whose stdout is a pipe, with nothing that forces terminal output."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    return lambda *args: run_mem(*args).stdout.decode()


def terminal(*args: str, width: int = 60) -> str:
    """`mem` as a subprocess that Rich treats as a terminal `width` columns wide."""
    return run_mem(*args, env={"FORCE_COLOR": "1", "COLUMNS": str(width)}).stdout.decode()


def fill(mem) -> None:
    mem("add", "Flight to Lisbon booked, aisle seat", "--at", "2024-05-03 09:30")
    mem("add", "Dentist is Dr Lee on Elm St", "--type", "semantic", "--tag", "health", "--at", "2024-05-02 18:12")
    mem("add", LONG, "--at", "2024-05-04 08:00")


def test_piped_list_is_one_plain_line_per_memory(mem, piped):
    fill(mem)
    lines = piped("list").splitlines()
    assert len(lines) == 3 and all(PLAIN_LINE.fullmatch(line) for line in lines), lines
    assert lines[1].endswith("  episodic  Flight to Lisbon booked, aisle seat")
    assert lines[2].endswith("  semantic  Dentist is Dr Lee on Elm St  #health")
    assert lines[0].startswith("#3  2024-05-04 08:00  episodic  Morning routine")  # the newlines collapsed
    assert [line for line in piped("list") .splitlines() if "Lisbon" in line] == [lines[1]]  # grep keeps ids


def test_terminal_list_is_a_table_that_wraps(mem):
    fill(mem)
    out = terminal("list")
    assert ANSI.search(out)  # bold ids, dim dates
    plain = ANSI.sub("", out).splitlines()
    assert len(plain) > 3 and all(len(line) <= 60 for line in plain)
    assert plain[0].startswith("#3") and not plain[1].startswith("#")  # a continuation line, indented


def test_piped_search_shows_the_matching_snippet_unmarked(mem, piped):
    fill(mem)
    lines = piped("search", "passport", "renewal").splitlines()
    assert len(lines) == 1 and PLAIN_LINE.fullmatch(lines[0]), lines
    text = lines[0].split("  ", 3)[3]
    assert text.startswith("…") and "renewed my passport at the post office" in text
    assert text.endswith("…") and "Morning routine and errands. Morning" not in text  # not the first lines
    assert not ANSI.search(lines[0]) and "**" not in lines[0]


def test_terminal_search_marks_the_matched_words(mem):
    fill(mem)
    out = terminal("search", "passport", "renewal")
    marked = re.findall(r"\x1b\[[0-9;]*1[0-9;]*m([^\x1b]+)\x1b\[0m", out)  # bold spans
    assert "renewed" in marked and "passport" in marked
    assert "post" not in marked  # only the query's words


def test_snippet_prefers_the_window_with_the_most_query_words():
    from memcli.cli.snippet import snippet

    text = "alpha " * 50 + "lisbon once. " + "filler " * 50 + "lisbon passport renewal together. " + "omega " * 50
    found = snippet(text, "lisbon passport renewal", 120)
    assert "lisbon passport renewal together" in found.text and len(found.text) <= 122
    assert [found.text[s:e] for s, e in found.spans] == ["lisbon", "passport", "renewal"]
    assert snippet("short text", "nothing matches").text == "short text"


@pytest.mark.parametrize("args", [["list"], ["search", "dim"], ["show", "1"], ["history", "1"]])
def test_user_text_is_never_markup(mem, piped, args):
    mem("add", "odd [/dim] text [bold red]dim[/] end")
    for out in (piped(*args), terminal(*args, width=200)):
        assert "odd [/dim] text [bold red]dim[/] end" in ANSI.sub("", out), out


def test_offline_ask_prints_the_answer_first_then_the_memories(mem, piped):
    mem("add", "Bought groceries. Renewed my passport at the post office.", "--at", "2024-03-02 10:00")
    mem("add", "Passport photo taken at the mall", "--at", "2024-02-20 10:00")
    lines = piped("ask", "when did I renew my passport").splitlines()
    assert lines[0] == "[1] 2024-03-02: Renewed my passport at the post office."
    assert lines[1].startswith("  [1] 2024-03-02 episodic: Bought groceries. Renewed my passport")
    assert any(line.startswith("  [2] 2024-02-20 episodic: Passport photo") for line in lines[2:])
    assert "**" not in "\n".join(lines) and not ANSI.search("\n".join(lines))
    out = terminal("ask", "when did I renew my passport")
    assert "\x1b[1mRenewed my passport at the post office.\x1b[0m" in out  # the likeliest sentence in bold


REPRS = re.compile(r"\[\s*'|\{'|\bTrue\b|\bFalse\b|\bNone\b|=\{")


def test_no_python_reprs_in_what_people_read(mem, piped):
    fill(mem)
    found = mem.json("search", "lisbon")[0]
    for args in (["show", str(found["id"])], ["history", "1"], ["search", "lisbon", "--explain"], ["stats"],
                 ["doctor"], ["hook", "status"], ["config", "list"]):
        out = piped(*args)
        assert out and not REPRS.search(out), (args, out)
    explained = piped("search", "lisbon", "--explain")
    assert re.search(r"#\d+: lexical rank 1 \(bm25 [\d.]+\); total [\d.]+", explained), explained
    assert "tags: #health" in piped("show", "2")


def test_plurals(mem, piped, tmp_path):
    mem("add", "only one")
    assert piped("stats").startswith("1 memory in ")
    export = tmp_path / "one.jsonl"
    assert "Exported 1 memory, " in run_mem("export", "-o", str(export)).stderr.decode()
    mem("add", "second")
    assert piped("stats").startswith("2 memories in ")


def _helps() -> list[list[str]]:
    groups = {"hook": ["install", "print"], "config": ["set", "get"], "schedule": ["install"], "eval": ["locomo"],
              "completion": ["install", "show"]}
    return [[name, *([sub] if sub else [])] for name in COMMANDS for sub in groups.get(name, [None])]


@pytest.mark.parametrize("args", _helps(), ids=" ".join)
def test_metavars_say_what_options_take(mem, args):
    out = mem(*args, "--help").stdout
    assert not re.search(r"<(str|int|float|path)>|\b(INTEGER|FLOAT)\b", out), out  # typer's and click's defaults


def test_choices_are_listed_in_help(mem):
    assert "--type [episodic|semantic|procedural]" in mem("add", "--help").stdout
    assert "--type [episodic|semantic|procedural]" in mem("search", "--help").stdout
    assert "--format [jsonl|markdown]" in mem("export", "--help").stdout
    assert "[bash|zsh|fish]" in mem("hook", "install", "--help").stdout


def test_consolidate_dry_run_lists_to_stdout(mem, mem_home):
    from tests.test_consolidate import shell_history

    shell_history(mem_home)
    result = mem("consolidate", "--dry-run")
    assert "[procedures] PROCEDURE" in result.stdout and "PROCEDURE" not in result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("Dry run: ")


def test_piped_listing_with_no_match_prints_no_line(mem, piped):
    mem("add", "one episode")
    result = run_mem("list", "--type", "semantic")
    assert result.stdout == b"" and result.stderr == b"No memories found.\n"
    assert "No memories found." in terminal("list", "--type", "semantic")
