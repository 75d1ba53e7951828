"""docs/formats.md names every reader `mem ingest --format` takes, and README links to it."""

from __future__ import annotations

import re
from pathlib import Path

from memcli.readers.detect import format_names

ROOT = Path(__file__).resolve().parents[1]


def test_every_reader_has_a_section():
    headings = re.findall(r"^### `([^`]+)`", (ROOT / "docs" / "formats.md").read_text(encoding="utf-8"), re.M)
    missing = [name for name in format_names() if name not in headings]
    assert missing == [], f"add a '### `name`' section to docs/formats.md for {missing}"


def test_readme_tour_links_the_formats_page():
    assert "docs/formats.md" in (ROOT / "README.md").read_text(encoding="utf-8")
