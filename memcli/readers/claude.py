"""Claude data export (`conversations.json`): a JSON array of conversations, each with
`uuid`, `name`, `created_at` and a flat `chat_messages` list (`uuid`, `sender`, `text`,
`content` parts, `created_at`). Streamed with ijson, one conversation at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from memcli.readers import Item
from memcli.readers.detect import ConversationExportReader
from memcli.timeparse import to_db


def iso(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return to_db(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def message_text(message: dict[str, Any]) -> str:
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    # Newer exports may leave `text` empty and keep the words in typed content parts.
    parts = message.get("content") or []
    return "\n".join(p["text"] for p in parts
                     if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)).strip()


class ClaudeReader(ConversationExportReader):
    name = "claude"
    export = "Claude"
    messages_key = "chat_messages"
    messages_type = list

    def conversation(self, conversation: dict[str, Any], index: int) -> Iterator[Item]:
        session = str(conversation.get("uuid") or f"conversation-{index + 1}")
        title = conversation.get("name") or ""
        fallback = iso(conversation.get("created_at"))
        turns: list[Item] = []
        for position, message in enumerate(conversation["chat_messages"]):
            if not isinstance(message, dict):
                continue
            text = message_text(message)
            if not text:
                continue
            when = iso(message.get("created_at")) or fallback
            fallback = when or fallback
            turns.append(Item(
                text=text, observed_at=when, source_ref=str(message.get("uuid") or f"{session}:{position}"),
                session=session, speaker=message.get("sender"),
                metadata={"conversation": title, "turn": len(turns), "format": self.name},
            ))
        if turns and all(t.observed_at is None for t in turns):
            self.context.warn(f"conversation {title or session!r} has no timestamps; skipped")
            return
        first = next(t.observed_at for t in turns if t.observed_at) if turns else None
        for turn in turns:
            turn.observed_at = turn.observed_at or first
            yield turn
