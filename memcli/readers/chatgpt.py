"""ChatGPT data export (`conversations.json`): a JSON array of conversations, each a `mapping`
tree of message nodes. Regenerated answers and edited questions are sibling branches; the
branch on screen is the path from `current_node` up through `parent` links, so only that path
is read. System, tool and hidden messages are noise and skipped.

The array is streamed with ijson: one conversation is in memory at a time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from memcli.readers import Item
from memcli.readers.detect import ConversationExportReader
from memcli.timeparse import to_db

SPEAKERS = ("user", "assistant")
TEXT_TYPES = ("text", "multimodal_text")


def epoch(value: Any) -> str | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    return to_db(datetime.fromtimestamp(seconds, tz=timezone.utc))


def current_branch(mapping: dict[str, Any], current: str | None) -> list[dict[str, Any]]:
    """The nodes from the root to `current` (or, without one, to the latest leaf)."""
    if current not in mapping:
        leaves = [n for n in mapping.values() if isinstance(n, dict) and not n.get("children")]
        if not leaves:
            return []
        current = max(leaves, key=lambda n: float((n.get("message") or {}).get("create_time") or 0)).get("id")
    path: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id = current
    while node_id in mapping and node_id not in seen:  # `seen` guards against a corrupt cycle
        seen.add(node_id)
        node = mapping[node_id]
        path.append(node)
        node_id = node.get("parent")
    return path[::-1]


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content") or {}
    if content.get("content_type") not in TEXT_TYPES:
        return ""
    parts = content.get("parts") or []
    return "\n".join(p for p in parts if isinstance(p, str)).strip()


def visible(message: dict[str, Any]) -> bool:
    role = (message.get("author") or {}).get("role")
    meta = message.get("metadata") or {}
    return (role in SPEAKERS and message.get("recipient", "all") == "all"
            and not meta.get("is_visually_hidden_from_conversation"))


class ChatGPTReader(ConversationExportReader):
    name = "chatgpt"
    export = "ChatGPT"
    messages_key = "mapping"
    messages_type = dict

    def conversation(self, conversation: dict[str, Any], index: int) -> Iterator[Item]:
        session = str(conversation.get("conversation_id") or conversation.get("id") or f"conversation-{index + 1}")
        title = conversation.get("title") or ""
        nodes = current_branch(conversation["mapping"], conversation.get("current_node"))
        fallback = epoch(conversation.get("create_time"))
        turns: list[Item] = []
        for node in nodes:
            message = node.get("message")
            if not isinstance(message, dict) or not visible(message):
                continue
            text = message_text(message)
            if not text:
                continue
            when = epoch(message.get("create_time")) or fallback
            fallback = when or fallback  # a message without a time inherits the one before it
            turns.append(Item(
                text=text, observed_at=when, source_ref=str(message.get("id") or node.get("id")), session=session,
                speaker=(message.get("author") or {}).get("role"),
                metadata={"conversation": title, "turn": len(turns), "format": self.name},
            ))
        if turns and all(t.observed_at is None for t in turns):
            self.context.warn(f"conversation {title or session!r} has no timestamps; skipped")
            return
        first = next(t.observed_at for t in turns if t.observed_at) if turns else None
        for turn in turns:
            turn.observed_at = turn.observed_at or first
            yield turn
