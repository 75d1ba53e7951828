"""Masking e-mail addresses and phone numbers, alone and on `mem add` / `mem ingest`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import mem_redact_emails
from mem_redact_emails import redact
from memcli import plugins
from memcli.cli import app


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MEM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEM_LOAD_PLUGINS", "")  # no entry points: the plugin is registered by hand
    pm = plugins.get_pm()
    pm.register(mem_redact_emails, name="redact-test")
    yield
    pm.unregister(name="redact-test")


@pytest.mark.parametrize("text, expected", [
    ("mail ann.lee+work@example.co.uk today", "mail [email] today"),
    ("call +44 20 7946 0958 or (555) 123-4567", "call [phone] or [phone]"),
    ("her mobile is 0151 496 0123.", "her mobile is [phone]."),
    ("US: 555-867-5309", "US: [phone]"),
    ("555-123-4567", "[phone]"),
    ("+1 555 123 4567", "[phone]"),
    ("+1-555-123-4567 or +1 (555) 123-4567", "[phone] or [phone]"),
    ("555.123.4567", "[phone]"),
    ("+33 1 42 68 53 00, 01 42 68 53 00, 01.42.68.53.00", "[phone], [phone], [phone]"),
    ("+44 (0)20 7946 0958", "[phone]"),
    ("+15551234567", "[phone]"),
    ("07911 123456", "[phone]"),
    # next to dates and times, the number is still masked and the date kept
    ("call 555 123 4567 on 2024-05-03", "call [phone] on 2024-05-03"),
    ("2024-05-03: 555-123-4567", "2024-05-03: [phone]"),
    ("at 14:30:00 ring 555-123-4567", "at 14:30:00 ring [phone]"),
])
def test_masks(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "meeting on 2024-05-01 10:00 in room 12",
    "released v1.2.3 build 20240501",
    "paid 1250000 for the flat",
    "git commit 3f2a9c1 and PR 12345",
    "the date 31/12/2023 was fun",
    "see https://example.com/a/1234567890",
    # dates, times, ISBNs, versions, IP addresses (issue 13: these were masked as phone numbers)
    "2024-05-03", "14:30:00", "978-3-16-148410-0", "v1.2.3", "3.11.7", "192.168.1.10",
    "meeting on 2024-05-03 at 14:30:00", "2024-05-03T14:30:00Z", "2024/05/03", "03.05.2024", "12/31/23 at 9:00",
    "2024-05-03 12:00 - 14:00", "2024-05-03 2024-05-04",
    "room 12 2024-05-03", "on 03.05.2024 10 people came",
    "ISBN 978-3-16-148410-0", "ISBN 978 3 16 148410 0", "ISBN 0-306-40615-2", "ISBN 0-8044-2957-X",
    "python 3.11.7 on 192.168.1.10", "versions 3.11.7 3.12.1 3.13.0", "hosts 10.0.0.1 10.0.0.2", "10.0.0.1:8080",
    "build 1.2.3-4567", "worked there 2015-2019", "from 1999 to 2024 2025", "seats 12 14 16 18",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
])
def test_leaves_other_numbers(text):
    assert redact(text) == text


def test_mem_add_stores_the_masked_text_and_dedups_on_it():
    runner = CliRunner()
    # the same moment both times: an episode at another second would be another event
    added = runner.invoke(app, ["add", "Ann is ann@example.com, +1 415 555 2671", "--at", "2024-03-01T09:00", "--json"],
                          catch_exceptions=False)
    record = json.loads(added.stdout)
    assert record["text"] == "Ann is [email], [phone]"
    again = runner.invoke(app, ["add", "Ann is other@example.org, +1 415 555 0000", "--at", "2024-03-01T09:00", "--json"],
                          catch_exceptions=False)
    assert json.loads(again.stdout)["id"] == record["id"]  # same text once masked: stored once


def test_ingest_is_masked_too(tmp_path):
    note = tmp_path / "contacts.md"
    note.write_text("# Plumber\nJo Smith, jo@plumbing.example, 020 7946 0000\n")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(note)], catch_exceptions=False).exit_code == 0
    listed = json.loads(runner.invoke(app, ["list", "--json"], catch_exceptions=False).stdout)
    assert "jo@plumbing.example" not in listed[0]["text"] and "[email]" in listed[0]["text"]
    assert "[phone]" in listed[0]["text"]
