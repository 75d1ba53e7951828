"""Claude data export: `conversations.json` and `projects.json`, or the `.zip` holding both.

A conversation has `uuid`, `name`, `created_at` and a flat `chat_messages` list (`uuid`, `sender`,
`text`, typed `content` blocks, `attachments`, `files`, `created_at`). A message's words come from
its text blocks, and the artifacts Claude wrote from its `tool_use` blocks ("Artifact: title"
and the content); the flat `text` is the fallback, minus the placeholders the site puts where a
block was ("Viewing artifacts created via the Analysis Tool web feature preview isn't yet
supported on mobile."), which are never memories. Tool results and thinking are left out.
Attached files are named in the turn's text (so an attachment-only turn is a memory too), and the
text the site extracted from them (`extracted_content`) becomes memories of its own, in chunks.

A project (`projects.json`) gives one memory for its description and instructions and chunks of
its documents. Claude's starter project is not the user's and is skipped.

Streamed (exports.py): one conversation or project in memory at a time.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from memcli.readers import Item, ReadError
from memcli.readers.exports import ConversationExportReader
from memcli.timeparse import to_db

PLACEHOLDERS = re.compile(
    r"(?:```\s*)?(?:Viewing artifacts created via the Analysis Tool web feature preview isn[’']t yet supported on mobile\."
    r"|This block is not supported on your current device yet\.)(?:\s*```)?")
ARTIFACT_TOOLS = ("artifacts", "create_file", "str_replace_based_edit_tool")


def iso(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return to_db(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return None


def without_placeholders(text: str) -> str:
    return PLACEHOLDERS.sub("", text).strip()


def _block_text(block: Any) -> str:
    if not isinstance(block, dict):
        return ""
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return block["text"]
    tool_input = block.get("input")
    if kind == "tool_use" and block.get("name") in ARTIFACT_TOOLS and isinstance(tool_input, dict):
        content = tool_input.get("content") or tool_input.get("file_text")
        if isinstance(content, str) and content.strip():
            title = tool_input.get("title") or tool_input.get("path") or tool_input.get("id") or "untitled"
            return f"Artifact: {title}\n\n{content.strip()}"
    return ""  # tool results, thinking, images, the analysis tool's code


def message_text(message: dict[str, Any]) -> str:
    blocks = message.get("content")
    if isinstance(blocks, list) and blocks:
        text = without_placeholders("\n\n".join(t.strip() for t in map(_block_text, blocks) if t.strip()))
        if text:
            return text
    plain = message.get("text")
    return without_placeholders(plain) if isinstance(plain, str) else ""


def attached(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Attachments (with extracted text) and files (images, PDFs shown as such), by name."""
    found: list[dict[str, Any]] = []
    for key in ("attachments", "files"):
        for entry in message.get(key) or []:
            if isinstance(entry, dict) and isinstance(entry.get("file_name"), str) and entry["file_name"].strip():
                found.append(entry)
    return found


def chunks(text: str) -> list[str]:
    from memcli.readers.notes import pack

    return [c for c in pack(text.strip()) if c.strip()]


class ClaudeReader(ConversationExportReader):
    name = "claude"
    export = "Claude"
    messages_key = "chat_messages"
    messages_type = list
    members = ("conversations.json", "projects.json")

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"[") and (b'"chat_messages"' in head or b'"prompt_template"' in head)

    def item(self, item: dict[str, Any], index: int, member: str) -> Iterator[Item]:
        if "chat_messages" not in item and ("prompt_template" in item or "docs" in item):
            yield from self.project(item, index)
            return
        if not isinstance(item.get("chat_messages"), list):
            raise ReadError(f"conversation {index + 1} has no 'chat_messages': not a Claude export")
        yield from self.conversation(item, index)

    def conversation(self, conversation: dict[str, Any], index: int) -> Iterator[Item]:
        session = str(conversation.get("uuid") or f"conversation-{index + 1}")
        title = conversation.get("name") or ""
        fallback = iso(conversation.get("created_at"))
        turns: list[Item] = []
        kept = 0  # messages kept so far: a turn's number (its attachments' chunks share it)
        for position, message in enumerate(conversation["chat_messages"]):
            if not isinstance(message, dict):
                continue
            files = attached(message)
            names = list(dict.fromkeys(f["file_name"].strip() for f in files))
            text = message_text(message)
            if names:
                text = f"{text}\n\nAttached: {', '.join(names)}".strip()
            if not text:
                continue
            when = iso(message.get("created_at")) or fallback
            fallback = when or fallback
            ref = str(message.get("uuid") or f"{session}:{position}")
            metadata: dict[str, Any] = {"conversation": title, "turn": kept, "format": self.name}
            kept += 1
            if names:
                metadata["attachments"] = names
            turns.append(Item(text=text, observed_at=when, source_ref=ref, session=session,
                              speaker=message.get("sender"), metadata=metadata))
            for number, entry in enumerate(files):
                content = entry.get("extracted_content")
                if not isinstance(content, str):
                    continue
                for part, chunk in enumerate(chunks(content)):
                    turns.append(Item(
                        text=f"{entry['file_name'].strip()}:\n\n{chunk}", observed_at=when, session=session,
                        source_ref=f"{ref}:attachment:{number}:{part}", speaker=message.get("sender"),
                        metadata={**metadata, "attachment": entry["file_name"].strip(), "part": part}))
        if turns and all(t.observed_at is None for t in turns):
            self.context.warn(f"conversation {title or session!r} has no timestamps; skipped")
            return
        first = next(t.observed_at for t in turns if t.observed_at) if turns else None
        for turn in turns:
            turn.observed_at = turn.observed_at or first
            yield turn

    def project(self, project: dict[str, Any], index: int) -> Iterator[Item]:
        if project.get("is_starter_project"):
            return
        uuid = str(project.get("uuid") or f"project-{index + 1}")
        name = str(project.get("name") or "untitled")
        session = f"project:{uuid}"
        when = iso(project.get("created_at")) or iso(project.get("updated_at"))
        base = {"project": name, "format": self.name}
        about = [f"{label}{project[key].strip()}" for key, label in (("description", ""), ("prompt_template", "Instructions: "))
                 if isinstance(project.get(key), str) and project[key].strip()]
        items: list[Item] = []
        if about:
            items.append(Item(text=f"Project {name}: " + "\n\n".join(about), observed_at=when,
                              source_ref=f"{uuid}:about", session=session, metadata=base))
        for number, doc in enumerate(project.get("docs") or []):
            if not isinstance(doc, dict) or not isinstance(doc.get("content"), str):
                continue
            filename = str(doc.get("filename") or f"document {number + 1}")
            doc_ref = str(doc.get("uuid") or f"{uuid}:doc:{number}")
            for part, chunk in enumerate(chunks(doc["content"])):
                items.append(Item(text=f"{filename}:\n\n{chunk}", observed_at=iso(doc.get("created_at")) or when,
                                  source_ref=f"{doc_ref}:{part}", session=session,
                                  metadata={**base, "document": filename, "part": part}))
        if items and all(i.observed_at is None for i in items):
            self.context.warn(f"project {name!r} has no timestamps; skipped")
            return
        first = next(i.observed_at for i in items if i.observed_at) if items else None
        for item in items:
            item.observed_at = item.observed_at or first
            yield item
