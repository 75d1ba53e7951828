"""ChatGPT data export (`conversations.json`, or the `.zip` the site sends): a JSON array of
conversations, each a `mapping` tree of message nodes. Regenerated answers and edited questions
are sibling branches; the branch on screen is the path from `current_node` up through `parent`
links, so only that path is read.

What becomes a memory: the user's and the assistant's words, voice-mode transcripts
(`audio_transcription` parts), the code the assistant ran (`content_type: code`, fenced), canvas
documents it wrote (`canmore.create_textdoc`, and whole rewrites), and the names of attached
files (in the text, so a search finds them, and in `metadata.attachments`). System, tool output
and hidden messages are noise and are skipped; so are images and audio themselves.

The array is streamed (exports.py): one conversation is in memory at a time.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterator

from memcli.readers import Item
from memcli.readers.exports import ConversationExportReader
from memcli.timeparse import to_db

SPEAKERS = ("user", "assistant")
TEXT_TYPES = ("text", "multimodal_text")
CANVAS = "canmore."  # recipients of the canvas tool: create_textdoc, update_textdoc, comment_textdoc
CODE_RECIPIENTS = ("all", "python", CANVAS)


def epoch(value: Any) -> str | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not seconds > 0:  # also NaN
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return to_db(datetime.fromtimestamp(seconds, tz=timezone.utc))
    except (OverflowError, OSError, ValueError):  # past year 9999
        return None


def _time(node: Any) -> float:
    message = node.get("message") if isinstance(node, dict) else None
    try:
        return float((message or {}).get("create_time") or 0)
    except (TypeError, ValueError, AttributeError):
        return 0.0


def current_branch(mapping: dict[str, Any], current: str | None) -> list[dict[str, Any]]:
    """The nodes from the root to `current` (or, without one, to the latest leaf)."""
    if not isinstance(current, str) or current not in mapping:
        leaves = [n for n in mapping.values() if isinstance(n, dict) and not n.get("children")]
        if not leaves:
            return []
        current = max(leaves, key=_time).get("id")
    path: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id = current
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:  # `seen`: a corrupt cycle
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            break
        path.append(node)
        node_id = node.get("parent")
    return path[::-1]


def _parts(content: dict[str, Any]) -> list[Any]:
    parts = content.get("parts")
    if isinstance(parts, str):  # seen in the wild: one string instead of a list of one
        return [parts]
    return parts if isinstance(parts, list) else []


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and part.get("content_type") == "audio_transcription" and isinstance(part.get("text"), str):
        return part["text"]  # what was said in voice mode (either way)
    return ""  # images, audio, video pointers


def _code(content: dict[str, Any]) -> str:
    text = content.get("text")
    return text if isinstance(text, str) else "\n".join(p for p in _parts(content) if isinstance(p, str))


def canvas_text(recipient: str, raw: str) -> str:
    """A canvas document: `Canvas: name` and its text; an update that rewrites it whole likewise.
    Comments and partial edits are left out."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(data, dict):
        return ""
    if recipient.endswith("create_textdoc") and isinstance(data.get("content"), str):
        return f"Canvas: {data.get('name') or 'untitled'}\n\n{data['content']}".strip()
    if recipient.endswith("update_textdoc") and isinstance(data.get("updates"), list):
        whole = [u.get("replacement") for u in data["updates"]
                 if isinstance(u, dict) and u.get("pattern") in (".*", "^.*$", "(?s).*") and isinstance(u.get("replacement"), str)]
        return f"Canvas (rewritten)\n\n{whole[-1]}".strip() if whole else ""
    return ""


def attachments(message: dict[str, Any]) -> list[str]:
    found = (message.get("metadata") or {}).get("attachments")
    if not isinstance(found, list):
        return []
    return [str(a["name"]) for a in found if isinstance(a, dict) and a.get("name")]


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if not isinstance(content, dict):
        return ""
    kind = content.get("content_type")
    recipient = str(message.get("recipient") or "all")
    if kind == "code":
        code = _code(content).strip()
        if recipient.startswith(CANVAS):
            return canvas_text(recipient, code)
        language = content.get("language")
        language = recipient if language in (None, "", "unknown") and recipient != "all" else language
        return f"```{language if isinstance(language, str) else ''}\n{code}\n```" if code else ""
    if kind not in TEXT_TYPES:
        return ""
    words = "\n".join(t for t in map(_part_text, _parts(content)) if t).strip()
    names = attachments(message)
    if names:  # file names are searchable; the files themselves are not in the export
        words = f"{words}\n\nAttached: {', '.join(names)}".strip()
    return words


def spoken(message: dict[str, Any]) -> bool:
    """A voice-mode turn: its words are a transcript."""
    content = message.get("content")
    parts = _parts(content) if isinstance(content, dict) else []
    return any(isinstance(p, dict) and p.get("content_type") == "audio_transcription" for p in parts)


def visible(message: dict[str, Any]) -> bool:
    role = (message.get("author") or {}).get("role")
    meta = message.get("metadata") or {}
    content = message.get("content") or {}
    recipient = str(message.get("recipient") or "all")
    to_all = recipient == "all"
    # Code the assistant ran or wrote for the user (python, canvas); calls to browsing or image
    # tools are plumbing.
    ran_code = (role == "assistant" and isinstance(content, dict) and content.get("content_type") == "code"
                and recipient.startswith(CODE_RECIPIENTS))
    return role in SPEAKERS and (to_all or ran_code) and not meta.get("is_visually_hidden_from_conversation")


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
            metadata: dict[str, Any] = {"conversation": title, "turn": len(turns), "format": self.name}
            if names := attachments(message):
                metadata["attachments"] = names
            if spoken(message):
                metadata["voice"] = True
            turns.append(Item(
                text=text, observed_at=when, source_ref=str(message.get("id") or node.get("id")), session=session,
                speaker=(message.get("author") or {}).get("role"), metadata=metadata,
            ))
        if turns and all(t.observed_at is None for t in turns):
            self.context.warn(f"conversation {title or session!r} has no timestamps; skipped")
            return
        first = next(t.observed_at for t in turns if t.observed_at) if turns else None
        for turn in turns:
            turn.observed_at = turn.observed_at or first
            yield turn
