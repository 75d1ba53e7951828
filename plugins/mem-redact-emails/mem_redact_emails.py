"""Mask e-mail addresses and phone numbers in every memory before it is stored (`mem add`,
`mem ingest`, the MCP `remember` tool): `ann@example.com` becomes `[email]`, `+44 20 7946 0958`
becomes `[phone]`. Dates, times, version numbers and ids are left alone."""

from __future__ import annotations

import re
from typing import Any

from memcli.hookspecs import hookimpl

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# A run of digits with the separators phone numbers use; checked below before it is masked.
PHONE_CANDIDATE = re.compile(r"(?<![\w+/.:-])\+?\(?\d[\d ().-]{5,}\d(?![\w/:-])")
DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}\b|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d+(?:\.\d+)+$")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if not 8 <= digits <= 15 or DATE_LIKE.match(text.strip()):
        return text
    if not text.startswith(("+", "(", "0")) and not re.search(r"[ ().-]", text):
        return text  # one unbroken number (an id, an amount) without a leading + or 0 is not a phone
    return "[phone]"


def redact(text: str) -> str:
    return PHONE_CANDIDATE.sub(_phone, EMAIL.sub("[email]", text))


@hookimpl
def process_record(record: Any) -> None:
    record.text = redact(record.text)
