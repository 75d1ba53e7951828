"""The secrets table: every sample is caught, the corpus of realistic secret forms never survives
(tests/fixtures/secrets_corpus.jsonl), harmless commands come out unchanged
(tests/fixtures/harmless_commands.jsonl), each secret is replaced exactly once, and the shell
hook's drain stores none of them. Speed: bench/redact.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from memcli.redact import SECRETS, findings, redact
from tests.test_hook import append, line

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS: list[dict] = [json.loads(row) for row in (FIXTURES / "secrets_corpus.jsonl").read_text().splitlines()]
HARMLESS: list[str] = [json.loads(row)["text"]
                       for row in (FIXTURES / "harmless_commands.jsonl").read_text().splitlines()]
MARKER = re.compile(r"\[REDACTED:[a-z0-9-]+\]")


def corpus_id(row: dict) -> str:
    return row["text"].split("\n")[0][:60]


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.name)
def test_every_sample_is_caught_by_its_own_pattern(secret):
    assert list(secret.spans(secret.sample))
    assert f"[REDACTED:{secret.name}]" in redact(secret.sample)


def test_keywords_are_lowercase():
    """They are looked up in the lowercased text: one with a capital would never be found."""
    assert [s.name for s in SECRETS if any(word != word.lower() or not word for word in s.keywords)] == []


def test_keywords_occur_wherever_a_pattern_matches():
    """A row's regex only runs when one of its keywords is in the text: check on every corpus text
    and sample that the regex alone (keywords not consulted) never matches a text without one."""
    texts = [row["text"] for row in CORPUS] + HARMLESS + [s.sample for s in SECRETS]
    missed = [(secret.name, text) for secret in SECRETS for text in texts
              if list(secret.spans(text, checked=True)) and not any(w in text.lower() for w in secret.keywords)]
    assert missed == []


def test_corpus_is_large_enough():
    assert len({row["text"] for row in CORPUS}) >= 80
    assert len(HARMLESS) >= 50


@pytest.mark.parametrize("row", CORPUS, ids=corpus_id)
def test_no_secret_survives(row):
    cleaned = redact(row["text"])
    assert row["secret"] not in cleaned, cleaned
    assert "[REDACTED:" in cleaned
    assert findings(row["text"])


@pytest.mark.parametrize("row", [row for row in CORPUS if "expected" in row], ids=corpus_id)
def test_the_rest_of_the_command_is_kept(row):
    assert redact(row["text"]) == row["expected"]


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_commands_are_unchanged(text):
    assert redact(text) == text
    assert findings(text) == []


@pytest.mark.parametrize("row", CORPUS, ids=corpus_id)
def test_each_secret_is_replaced_once(row):
    """No marker inside another (`[REDACTED:[REDACTED:url-password]`), none cut in half."""
    cleaned = redact(row["text"])
    assert cleaned.count("[REDACTED:") == len(MARKER.findall(cleaned)), cleaned
    assert "[REDACTED:" not in MARKER.sub("", cleaned)


def test_a_token_inside_a_url_or_a_flag_gets_one_marker():
    assert redact("git remote set-url origin https://ghp_1234567890abcdefghijklmnopqrstuvwxyZ@github.com/o/r") == \
        "git remote set-url origin https://[REDACTED:github-token]@github.com/o/r"
    assert redact("curl https://api.stripe.com/v1/charges -u sk_test_4eC39HqLyjWDarjtT1zdp7dc:") == \
        "curl https://api.stripe.com/v1/charges -u [REDACTED:stripe-key]:"
    assert redact("export GITHUB_TOKEN=ghp_1234567890abcdefghijklmnopqrstuvwxyZ") == \
        "export GITHUB_TOKEN=[REDACTED:github-token]"


def test_the_command_is_kept_around_the_secret():
    assert redact("docker login --password hunterTwo registry.example.com") == \
        "docker login --password [REDACTED:password-flag] registry.example.com"
    assert redact("git clone https://alice:hunter2@example.com/r.git") == \
        "git clone https://alice:[REDACTED:url-password]@example.com/r.git"


def test_redacting_twice_changes_nothing():
    for row in CORPUS:
        once = redact(row["text"])
        assert redact(once) == once


def test_the_hook_stores_no_corpus_secret_and_every_harmless_command_as_typed(mem, mem_home):
    """The whole corpus through the spool and `mem hook ingest`: the database file holds none of the
    secrets, and the harmless commands are stored exactly as typed."""
    commands = [row["text"] for row in CORPUS] + HARMLESS
    append(b"".join(line(text.encode(), seq) for seq, text in enumerate(commands, 1)))
    mem("hook", "ingest")
    stored = {r["text"] for r in mem.json("list", "--source", "shell", "--limit", "100000")}
    assert set(HARMLESS) <= stored
    data = b"".join(p.read_bytes() for p in mem_home.glob("mem.db*"))
    assert [row["secret"] for row in CORPUS if row["secret"].encode() in data] == []
