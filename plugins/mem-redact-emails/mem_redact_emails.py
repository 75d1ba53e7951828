"""Mask e-mail addresses and phone numbers in every memory before it is stored (`mem add`,
`mem ingest`, the MCP `remember` tool): `ann@example.com` becomes `[email]`, `+44 20 7946 0958`
becomes `[phone]`. Left alone: dates (2024-05-03, 03.05.2024, 12/31/23), times (14:30:00),
version numbers (v1.2.3, 3.11.7), IP addresses (192.168.1.10), ISBNs (978-3-16-148410-0), years
and year ranges (2015-2019), ids and amounts written as one unbroken number."""

from __future__ import annotations

import re
from typing import Any

from memcli.hookspecs import hookimpl

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# A date in digits: year-month-day, or day and month (either order) then the year.
_DATE = (r"(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])(?!\d)"
         r"|(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|[12]\d|3[01])[-./](?:19|20)?\d\d(?!\d)")
# At each place a date is tried first and kept; else a phone candidate: digit groups with one
# separator (space, - or .) between them, after an optional +country code and (area code). A
# group never takes in a following date, and a candidate never ends inside a longer token
# (14:30, 1.2.3.4, 0-8044-2957-X). `_phone` then decides.
NUMBER = re.compile(
    rf"(?<![\w+/.:$€£¥#-])(?:(?P<date>{_DATE})"
    rf"|(?P<phone>(?:\+\d{{1,3}}[ .-]?)?(?:\(\d{{1,5}}\)[ .-]?)?\d+(?:[ .-](?!{_DATE})\d+)*)(?![\w/:]|[.-][\dX]))")
YEAR = re.compile(r"(?:19|20)\d\d")


def _is_phone(number: str) -> bool:
    groups = re.findall(r"\d+", number)
    lengths = [len(group) for group in groups]
    if not 8 <= sum(lengths) <= 15:  # E.164 allows 15 digits; fewer than 8 is a count, a year, a time
        return False
    if number.startswith(("+", "(")):
        return True
    separators = set(re.findall(r"[ .-]", number))
    if not separators:  # one unbroken number is an id or an amount, unless it starts with a trunk 0
        return number.startswith("0")
    if "." in separators:  # versions and IP addresses, unless 555.123.4567 or 01.42.68.53.00
        return separators == {"."} and (lengths == [3, 3, 4] or (lengths == [2] * 5 and number.startswith("0")))
    if all(YEAR.fullmatch(group) for group in groups):  # 2015-2019, 1999 2000
        return False
    if len(groups) >= 4 and lengths[-1] == 1:  # an ISBN ends in one check digit: 978-3-16-148410-0
        return False
    if sum(lengths) == 13 and groups[0] in ("978", "979"):  # ISBN-13 otherwise grouped
        return False
    return max(lengths) >= 3 or number.startswith("0")  # "12 14 16 18" is a list; "01 42 68 53 00" a phone


def _mask(match: re.Match[str]) -> str:
    number = match.group("phone")
    return "[phone]" if number and _is_phone(number) else match.group(0)


def redact(text: str) -> str:
    return NUMBER.sub(_mask, EMAIL.sub("[email]", text))


@hookimpl
def process_record(record: Any) -> None:
    record.text = redact(record.text)
