"""Malformed input, in bulk: every case ends with exit 0 or a one-line error and exit 2, never a
traceback, and nothing stored before is lost.

The corpus is built here from parts (ids, dates, numbers, text, files, config), so it grows with
the commands; run this file on an older checkout to count what used to reach Python.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from memcli.cli import app

BAD_IDS = ["0", "-1", "9223372036854775808", "99999999999999999999999", "1e3", "abc", "", "1.5", "0x10", "१२"]
BAD_DATES = ["0001-01-01", "9999-12-31T23:59:59-01:00", "10000000 years ago", "0000-00-00", "2024-13-01",
             "2024-02-30", "yesterday at 25:00", "", " ", "\udcff", "99999-01-01", "-1 days ago", "1e9 weeks ago",
             "the day after never", "2024-05-01T10:00:00+25:00"]
BAD_K = ["0", "-3", "100000", "1e2", "ten", "9223372036854775808"]
BAD_TEXT = ["", "   ", "\udcff broken", "\x00nul", "a" * 200_000]
BAD_TYPES = ["opinion", "", "EPISODIC", "semantic,procedural"]
BAD_TAGS = ["", " ", "#", "t\udcff"]


def corpus(tmp: Path) -> list[list[str]]:
    cases: list[list[str]] = []
    for command in ("show", "history", "restore"):
        cases += [[command, value] for value in BAD_IDS]
    cases += [["forget", value, "--yes"] for value in BAD_IDS]
    cases += [["forget", value, "--purge", "--yes"] for value in BAD_IDS]
    cases += [["tag", value, "x"] for value in BAD_IDS] + [["pin", value] for value in BAD_IDS]
    cases += [["add", "x", "--at", value] for value in BAD_DATES]
    for option in ("--since", "--until", "--as-of"):
        cases += [["search", "x", option, value] for value in BAD_DATES]
        cases += [["list", option, value] for value in BAD_DATES]
    cases += [["ask", "x?", "--as-of", value] for value in BAD_DATES]
    cases += [["search", "x", "-k", value] for value in BAD_K] + [["ask", "x?", "-k", value] for value in BAD_K]
    cases += [["list", "--limit", value] for value in BAD_K]
    cases += [["add", value] for value in BAD_TEXT] + [["search", value] for value in BAD_TEXT]
    cases += [["ask", value] for value in BAD_TEXT]
    cases += [["add", "x", "--type", value] for value in BAD_TYPES] + [["list", "--type", value] for value in BAD_TYPES]
    cases += [["add", "x", "--tag", value] for value in BAD_TAGS] + [["search", "x", "--tag", value] for value in BAD_TAGS]
    cases += [["forget", "--match", value, "--yes"] for value in ["", "!!!", "\udcff"]]
    cases += [["forget", "--source", str(tmp / "nowhere"), "--purge", "--yes"], ["forget", "--yes"],
              ["forget", "1", "--purge", "--replace-with", "y", "--yes"], ["forget", "--undo", "forget-nope"],
              ["forget", "1", "--replace-with", "", "--yes"]]
    cases += [["consolidate", "--undo", "run-nope"], ["consolidate", "--max-tokens", "0"],
              ["consolidate", "--model", "not-a-provider/x"]]
    files = make_files(tmp)
    cases += [["ingest", str(path)] for path in files.values()]
    cases += [["import", str(path)] for path in files.values()]
    cases += [["export", "-o", str(tmp)], ["export", "-o", "/dev/null"], ["export", "-o", str(tmp / "no" / "dir" / "x")],
              ["export", "--format", "pdf", "-o", str(tmp / "x.pdf")], ["eval", "locomo", str(files["garbage.json"])],
              ["eval", "locomo", str(tmp / "missing.json")], ["eval", "locomo", str(files["empty.json"]), "--k", "0"]]
    cases += [["config", "set", key, value] for key, value in [("a..b", "1"), ("", "x"), ("llm.timeout", "soon"),
                                                               ("embed.inline_limit", "-1"), ("nope.key", "1"),
                                                               ("llm.model.sub", "x")]]
    cases += [["config", "get", "nope.key"], ["config", "unset", ""], ["hook", "install", "tcsh"],
              ["completion", "show", "powershell"], ["schedule", "install", "--at", "25:99"], ["serch", "x"],
              ["search"], ["list", "--limt", "2"], ["reindex", "--pending"]]
    return cases


def make_files(tmp: Path) -> dict[str, Path]:
    made = {
        "garbage.json": b"{not json",
        "empty.json": b"",
        "utf16.md": "# note\nhello".encode("utf-16"),
        "binary.md": bytes(range(256)) * 4,
        "deep.json": b"[" * 20_000,
        "nul.jsonl": b'{"text": "a\x00b"}\n',
        "wrong-export.jsonl": json.dumps({"format": "memcli-export", "version": 99, "schema_version": 1}).encode() + b"\n",
        "half-export.jsonl": json.dumps({"format": "memcli-export", "version": 1, "schema_version": 1}).encode()
        + b'\n{"kind": "records", "id": "x"}\n',
        "lines.jsonl": b'{"text": 5}\n[1,2]\n"str"\n{"content": {"a": 1}}\n',
        "alias-bomb.md": b"---\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n---\nbody\n",
    }
    paths: dict[str, Path] = {}
    for name, data in made.items():
        paths[name] = tmp / name
        paths[name].write_bytes(data)
    fifo = tmp / "pipe.md"
    os.mkfifo(fifo)
    paths["pipe.md"] = fifo
    paths["dir"] = tmp / "adir"
    paths["dir"].mkdir()
    return paths


def test_no_malformed_input_reaches_python(mem: Any, tmp_path: Path) -> None:
    mem("add", "keep me", "--type", "semantic")
    runner = CliRunner()
    problems: list[str] = []
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for args in corpus(inputs):
        result = runner.invoke(app, args, catch_exceptions=True)
        shown = " ".join(a if len(a) < 40 else a[:37] + "..." for a in args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"mem {shown!r}: {type(result.exception).__name__}: {result.exception}")
        elif result.exit_code not in (0, 1, 2):
            problems.append(f"mem {shown!r}: exit {result.exit_code}")
        elif result.exit_code == 2 and len(result.stderr.strip().splitlines()) != 1:
            problems.append(f"mem {shown!r}: not one line: {result.stderr.strip()[:200]!r}")
    assert problems == []
    assert "keep me" in [r["text"] for r in mem.json("list", "--limit", "1000")]  # some cases were valid adds


def test_a_broken_config_file_is_one_line_for_every_command(mem: Any, mem_home: Path) -> None:
    mem("add", "keep me")
    for data in (b"\xff\xfe\x00binary", "llm = 'x'".encode("utf-16"), b"[llm\nmodel=", b"llm.timeout = 'soon'"):
        (mem_home / "config.toml").write_bytes(data)
        for args in (["add", "y"], ["search", "keep"], ["ask", "keep?"], ["list"], ["stats"]):
            result = CliRunner().invoke(app, args, catch_exceptions=True)
            assert result.exception is None or isinstance(result.exception, SystemExit), (args, data)
            assert result.exit_code in (0, 2), (args, data, result.stderr)
            if result.exit_code == 2:
                assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    (mem_home / "config.toml").unlink()
    assert "keep me" in [r["text"] for r in mem.json("list")]


def test_the_corpus_covers_every_part(tmp_path: Path) -> None:
    cases = corpus(tmp_path)
    assert len(cases) > 250
    assert {args[0] for args in cases} >= {"show", "forget", "add", "search", "ask", "list", "ingest", "import",
                                           "export", "config", "consolidate", "eval", "hook"}
