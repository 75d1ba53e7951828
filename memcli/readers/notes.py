"""Notes: Markdown files (Obsidian vaults included) and plain text, split into chunks.

A Markdown file is split at its headings; a section longer than MAX_CHARS is split again at
paragraphs (then sentences). Short paragraphs join the next one until MIN_CHARS, so a chunk has
some context. Boundaries depend only on nearby text, so an edit changes only the chunks around it.
A chunk's `source_ref` is a hash of its text: unchanged chunks keep their records on re-ingest.
Front matter, `#tags` and `[[links]]` are kept as tags and metadata.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Iterator

from memcli.models import RECORD_TYPES, normalise
from memcli.readers import Item, ReadError
from memcli.readers.detect import ReadContext, looks_binary
from memcli.timeparse import to_db

MAX_CHARS = 1500
MIN_CHARS = 200

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
FENCE = re.compile(r"^[ \t]*(```|~~~)")
TAG = re.compile(r"(?<![\w#/&])#([\w][\w/-]*)")
LINK = re.compile(r"!?\[\[([^\]|#\n]+)(?:#[^\]|\n]*)?(?:\|[^\]\n]*)?\]\]")
INLINE_CODE = re.compile(r"`[^`\n]*`")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
DATE_KEYS = ("date", "created", "created_at", "datetime")


def decode(path: Path) -> str:
    """The file's text, or a ReadError naming why it is not a readable note."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise ReadError("empty file")
    if looks_binary(data):
        raise ReadError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text (bad byte at offset {exc.start})") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def front_matter(text: str, context: ReadContext, path: Path) -> tuple[dict[str, Any], str]:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        context.warn(f"{path}: front matter is not valid YAML; read as text")
        return {}, text
    return (_jsonable(data) if isinstance(data, dict) else {}), text[match.end():]


def _when(value: Any) -> str | None:
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, date):
        return to_db(datetime.combine(value, time.min))
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return to_db(moment)
    return None


def observed_at(meta: dict[str, Any], path: Path) -> str:
    """Front matter date when there is one, else the file's modification time."""
    for key in DATE_KEYS:
        if key in meta and (when := _when(meta[key])):
            return when
    return to_db(datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc))


def meta_tags(meta: dict[str, Any]) -> list[str]:
    raw = meta.get("tags") or meta.get("tag") or []
    words = re.split(r"[,\s]+", raw) if isinstance(raw, str) else [str(t) for t in raw if t is not None]
    return [t.strip().lstrip("#") for t in words if t.strip().lstrip("#")]


def inline_tags(text: str) -> list[str]:
    plain = INLINE_CODE.sub(" ", _without_fences(text))
    return list(dict.fromkeys(t.rstrip("/") for t in TAG.findall(plain) if not t.isdigit()))


def links(text: str) -> list[str]:
    return list(dict.fromkeys(target.strip() for target in LINK.findall(text)))


def _without_fences(text: str) -> str:
    kept: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = FENCE.match(line)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
            continue
        if fence is None:
            kept.append(line)
    return "\n".join(kept)


def sections(body: str) -> list[tuple[list[str], str]]:
    """(heading path, text) per heading; a heading with no text of its own joins the next one."""
    found: list[tuple[list[str], list[str]]] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        match = FENCE.match(line)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
        heading = None if (fence or match) else HEADING.match(line)
        if heading:
            found.append(([title for _, title in stack], lines))
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading.group(2).strip()))
            lines = [line]
        else:
            lines.append(line)
    found.append(([title for _, title in stack], lines))
    merged: list[tuple[list[str], str]] = []
    carry = ""
    for path, section_lines in found:
        text = "\n".join(section_lines).strip()
        body_only = "\n".join(section_lines[1:] if section_lines and HEADING.match(section_lines[0]) else section_lines)
        if not body_only.strip():
            carry = f"{carry}\n\n{text}".strip() if text else carry
            continue
        merged.append((path, f"{carry}\n\n{text}".strip()))
        carry = ""
    if carry:
        merged.append(([title for _, title in stack], carry))
    return merged


def blocks(text: str) -> list[str]:
    """Paragraphs (blank-line separated); a fenced code block stays whole."""
    out: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = FENCE.match(line)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
        if not line.strip() and fence is None:
            if current:
                out.append("\n".join(current).strip())
                current = []
            continue
        current.append(line)
    if current:
        out.append("\n".join(current).strip())
    return [b for b in out if b]


def _split_long(block: str) -> list[str]:
    if len(block) <= MAX_CHARS:
        return [block]
    pieces: list[str] = []
    current = ""
    for sentence in SENTENCE_END.split(block):
        while len(sentence) > MAX_CHARS:  # one huge run-on line: cut at a space
            cut = sentence.rfind(" ", 0, MAX_CHARS)
            cut = cut if cut > MAX_CHARS // 2 else MAX_CHARS
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + len(sentence) + 1 > MAX_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def pack(text: str) -> list[str]:
    """Split `text` into chunks of at most MAX_CHARS, each at least MIN_CHARS where possible."""
    if len(text) <= MAX_CHARS:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in (p for block in blocks(text) for p in _split_long(block)):
        if current and size + len(piece) > MAX_CHARS:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece) + 2
        if size >= MIN_CHARS:
            chunks.append("\n\n".join(current))
            current, size = [], 0
    if current:
        tail = "\n\n".join(current)
        if chunks and len(chunks[-1]) + len(tail) + 2 <= MAX_CHARS:
            chunks[-1] = f"{chunks[-1]}\n\n{tail}"
        else:
            chunks.append(tail)
    return chunks


class NotesReader:
    """Shared by Markdown and text: a whole file is one document whose chunks replace the last version's."""

    name = "notes"
    suffixes: tuple[str, ...] = ()
    whole_file = True  # the ingest service syncs the file's chunks instead of only appending
    markdown = True

    def __init__(self, context: ReadContext | None = None) -> None:
        self.context = context or ReadContext()

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.suffixes

    def read(self, path: Path) -> Iterator[Item]:
        text = decode(path)
        meta, body = front_matter(text, self.context, path) if self.markdown else ({}, text)
        when = observed_at(meta, path)
        type_ = next((str(meta[k]) for k in ("mem_type", "type") if str(meta.get(k)) in RECORD_TYPES), "episodic")
        file_tags = meta_tags(meta)
        title = str(meta.get("title") or path.stem)
        parts = sections(body) if self.markdown else [([], body.strip())]
        seen: dict[str, int] = {}
        index = 0
        for headings, section_text in parts:
            heading_line = section_text.split("\n", 1)[0] if HEADING.match(section_text.split("\n", 1)[0]) else ""
            for part, chunk in enumerate(c for c in pack(section_text) if c.strip()):
                if part and heading_line and not chunk.startswith(heading_line):
                    chunk = f"{heading_line}\n\n{chunk}"  # a continuation keeps its heading for context
                digest = hashlib.sha256(normalise(chunk).encode("utf-8")).hexdigest()[:16]
                seen[digest] = seen.get(digest, 0) + 1
                metadata: dict[str, Any] = {"format": self.name, "title": title, "chunk": index, "part": part}
                if headings:
                    metadata["headings"] = headings
                if self.markdown and (found := links(chunk)):
                    metadata["links"] = found
                if meta:
                    metadata["front_matter"] = meta
                tags = file_tags + (inline_tags(chunk) if self.markdown else [])
                yield Item(text=chunk, observed_at=when, source_ref=f"chunk:{digest}:{seen[digest]}", type=type_,
                           tags=list(dict.fromkeys(tags)), metadata=metadata)
                index += 1


class MarkdownReader(NotesReader):
    name = "markdown"
    suffixes = (".md", ".markdown")


class TextReader(NotesReader):
    name = "text"
    suffixes = (".txt",)
    markdown = False
