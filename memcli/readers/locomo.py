"""LoCoMo conversation files: a list of samples, each with `conversation.session_N` turn lists.

Only turns, speakers, session dates and image captions are read. The file is read whole, so
it is held to bounds.MAX_WHOLE_JSON_BYTES (the dataset's files are about 3 MB). The dataset's generated
`observation`, `session_summary` and `event_summary` fields, and its QA, are never touched here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

from memcli.readers import Item, ReadError, bounds
from memcli.timeparse import to_db

SESSION_KEY = re.compile(r"^session_(\d+)$")


def parse_session_date(text: str) -> datetime:
    """'1:56 pm on 8 May, 2023' (naive: local wall-clock time)."""
    cleaned = re.sub(r"\s+", " ", text.strip())
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%I:%M %p on %B %d, %Y"):
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    raise ReadError(f"unrecognised session date {text!r}")


def turn_text(turn: dict[str, Any]) -> str:
    text = str(turn.get("text") or "").strip()
    caption = turn.get("blip_caption")
    if caption:
        text = f"{text} [shares a photo: {caption}]".strip()
    return text


def conversation_items(sample: dict[str, Any], index: int = 0) -> Iterator[Item]:
    conversation = sample.get("conversation")
    if not isinstance(conversation, dict):
        raise ReadError("a sample has no 'conversation' object")
    sample_id = str(sample.get("sample_id") or f"conv-{index}")
    sessions = sorted(
        (int(match.group(1)), key) for key in conversation if (match := SESSION_KEY.match(key))
    )
    for number, key in sessions:
        turns = conversation[key]
        if not isinstance(turns, list):
            raise ReadError(f"{sample_id} {key} is not a list of turns")
        date_text = conversation.get(f"{key}_date_time")
        start = parse_session_date(date_text) if date_text else None
        for position, turn in enumerate(turns):
            text = turn_text(turn)
            if not text:
                continue
            # Turns keep their order within a session: one second apart after the session start.
            when = to_db(start + timedelta(seconds=position)) if start else None
            dia_id = str(turn.get("dia_id") or f"D{number}:{position + 1}")
            yield Item(
                text=text, observed_at=when, source_ref=f"{sample_id}:{dia_id}",
                session=f"{sample_id}:session_{number}", speaker=turn.get("speaker"),
                metadata={"dia_id": dia_id, "conversation": sample_id, "session_number": number,
                          "session_date": date_text},
            )


class LocomoReader:
    name = "locomo"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.lstrip()
        return text.startswith(b"[") and b'"conversation"' in head and b'"session_1' in head

    def load(self, path: Path) -> list[dict[str, Any]]:
        raw = bounds.read_capped(path, bounds.MAX_WHOLE_JSON_BYTES, "a LoCoMo file")  # it is read whole
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReadError(f"{path} is not a LoCoMo JSON file: {exc}") from exc
        except RecursionError:
            raise ReadError(f"{path} nests too deep to be a LoCoMo file") from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not data or not all(
            isinstance(s, dict) and isinstance(s.get("conversation"), dict) for s in data
        ):
            raise ReadError(f"{path} is not a LoCoMo file: expected a list of samples with 'conversation'")
        return data

    def read(self, path: Path) -> Iterator[Item]:
        for index, sample in enumerate(self.load(path)):
            yield from conversation_items(sample, index)
