"""`mem ingest --format whatsapp CHAT.txt`: WhatsApp's "Export chat" text files, one memory per message.

Both layouts are read, with any locale's date order:

    [12/31/23, 9:41:07 PM] Ann: see you at the station      (iPhone)
    31/12/2023, 21:41 - Ann: see you at the station         (Android)

Lines without a timestamp continue the message above. System lines ("Messages and calls are
end-to-end encrypted") and media placeholders are skipped. The chat is the session
("whatsapp:<chat name>"); a message is known by a hash of its time, sender and text (plus how many
times that hash came before), so a later export of the same chat adds only the new messages.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path
from typing import Iterator

from memcli.hookspecs import hookimpl
from memcli.readers import Item, ReadError
from memcli.timeparse import to_db

_SPACES = "\u202f\u00a0"  # newer exports put a narrow no-break space before AM/PM
_MARKS = "\u200e\u200f\ufeff"  # direction marks and BOM that exports sprinkle around
DATE = r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{2,4})"
TIME = r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?(?:[ \u202f\u00a0]?(?P<ampm>[AaPp]\.?[Mm]\.?))?"
IOS = re.compile(rf"^\[{DATE},? {TIME}\] (?P<rest>.*)$")
ANDROID = re.compile(rf"^{DATE},? {TIME} [-\u2013] (?P<rest>.*)$")
SENDER = re.compile(r"^(?P<name>[^:]{1,80}?): (?P<text>.*)$", re.S)
MEDIA = re.compile(r"^<?(?:media omitted|image omitted|video omitted|audio omitted|sticker omitted|"
                   r"gif omitted|document omitted|this message was deleted|you deleted this message)>?$",
                   re.IGNORECASE)
# iPhone exports put the encryption notice under the chat's name, like a message.
SYSTEM = re.compile(r"^(?:messages and calls are end-to-end encrypted|messages to this group are now secured)",
                    re.IGNORECASE)


def _clean(line: str) -> str:
    return line.translate({ord(c): None for c in _MARKS}).rstrip("\r\n")


def _header(line: str) -> re.Match[str] | None:
    return IOS.match(line) or ANDROID.match(line)


def _day_first(matches: list[re.Match[str]]) -> bool:
    """Which of the first two date fields is the day: whichever ever exceeds 12; else 24-hour
    clocks suggest day-first locales and AM/PM ones month-first (US)."""
    if any(int(m["a"]) > 12 for m in matches):
        return True
    if any(int(m["b"]) > 12 for m in matches):
        return False
    return not any(m["ampm"] for m in matches)


def _moment(m: re.Match[str], day_first: bool) -> datetime:
    day, month = (int(m["a"]), int(m["b"])) if day_first else (int(m["b"]), int(m["a"]))
    year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
    hour = int(m["h"])
    if m["ampm"]:
        pm = m["ampm"][0].lower() == "p"
        hour = hour % 12 + (12 if pm else 0)
    return datetime(year, month, day, hour, int(m["mi"]), int(m["s"] or 0))  # the exporter's local time


class WhatsAppReader:
    name = "whatsapp"

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = [_clean(line) for line in head.decode("utf-8", "replace").splitlines()[:20] if line.strip()]
        return bool(lines) and sum(bool(_header(line)) for line in lines) >= max(1, len(lines) // 2)

    def read(self, path: Path) -> Iterator[Item]:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                headers = [m for m in map(_header, map(_clean, fh)) if m]
        except OSError as exc:
            raise ReadError(f"cannot read ({exc.strerror})") from exc
        if not headers:
            raise ReadError("no WhatsApp message lines ('[date, time] Name: text' or 'date, time - Name: text')")
        day_first = _day_first(headers)
        session = "whatsapp:" + re.sub(r"^WhatsApp Chat (?:with|-) ", "", path.stem).strip()
        seen: dict[str, int] = {}
        current: tuple[datetime, str] | None = None
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in map(_clean, fh):
                match = _header(line)
                if match:
                    if current:
                        yield from self._item(*current, session, seen)
                    current = (_moment(match, day_first), match["rest"])
                elif current:
                    current = (current[0], current[1] + "\n" + line)
        if current:
            yield from self._item(*current, session, seen)

    @staticmethod
    def _item(moment: datetime, rest: str, session: str, seen: dict[str, int]) -> Iterator[Item]:
        found = SENDER.match(rest)
        if not found:  # "Ann added Bob", encryption notices: not something anyone said
            return
        text = found["text"].strip()
        if not text or MEDIA.match(text) or SYSTEM.match(text):
            return
        speaker = found["name"].strip()
        digest = hashlib.sha256(f"{moment.isoformat()}\x00{speaker}\x00{text}".encode()).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        yield Item(text=text, observed_at=to_db(moment), source_ref=f"{digest}-{seen[digest]}", session=session,
                   speaker=speaker, metadata={"chat": session.removeprefix("whatsapp:")})


@hookimpl
def register_importers(register) -> None:  # type: ignore[no-untyped-def]
    register(WhatsAppReader)
