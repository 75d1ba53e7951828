"""Notes: Markdown files (Obsidian vaults included) and plain text, split into chunks.

A Markdown file is split at its headings; a section longer than MAX_CHARS is split again at
paragraphs (then sentences). Short paragraphs join the next one until MIN_CHARS, so a chunk has
some context. Boundaries depend only on nearby text, so an edit changes only the chunks around it.
A chunk's `source_ref` is a hash of its text: unchanged chunks keep their records on re-ingest.
Front matter, `#tags` and `[[links]]` are kept as tags and metadata; so are Logseq and Dataview
`key:: value` properties (a note's leading block of them is read like front matter). Aliases (front
matter `aliases`, `alias::`) are added to the first chunk's text, so that a search finds them.
A note is dated by its front matter, else by a daily-note file name (`2024-05-03.md`, Logseq's
`2024_05_03.md`), else by the file's modification time.

Bounded (bounds.py): a note larger than MAX_NOTE_BYTES is skipped; front matter that is longer than
MAX_FRONT_MATTER, nests deeper than MAX_YAML_DEPTH or uses YAML aliases (the "billion laughs")
is read as text, with a warning.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Iterator

from memcli.models import RECORD_TYPES, normalise
from memcli.readers import Item, ReadError, bounds
from memcli.readers.detect import ReadContext, looks_binary
from memcli.timeparse import to_db

MAX_CHARS = 1500
MIN_CHARS = 200

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+)$")  # the title is cut from its closing #s in Python: no backtracking
FENCE = re.compile(r"^[ \t]*(```|~~~)")
TAG = re.compile(r"(?<![\w#/&])#([\w][\w/-]*)")
# No "[" inside a link: a run of "[[[[" costs linear time, not quadratic.
LINK = re.compile(r"!?\[\[([^\[\]|#\n]+)(?:#[^\[\]|\n]*)?(?:\|[^\[\]\n]*)?\]\]")
INLINE_CODE = re.compile(r"`[^`\n]*`")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SPACES = re.compile(r"\s*")
DATE_KEYS = ("date", "observed_at", "created", "created_at", "datetime")  # observed_at: a mem export
DAILY_NAME = re.compile(r"^(\d{4})[-_.](\d{2})[-_.](\d{2})$")  # Obsidian 2024-05-03, Logseq 2024_05_03
PROPERTY = re.compile(r"^[ \t]*(?:- )?([A-Za-z][\w-]{0,63})::[ \t]+(.*\S)[ \t]*$")  # Logseq / Dataview key:: value


def decode(path: Path) -> str:
    """The file's text, or a ReadError naming why it is not a readable note."""
    data = bounds.read_capped(path, bounds.MAX_NOTE_BYTES, "a note")
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


class Refused(Exception):
    """Front matter mem will not expand; the message says why."""


@functools.lru_cache(maxsize=1)
def _loader() -> type:
    """yaml's SafeLoader without aliases and with a depth limit: a 600-byte alias bomb would
    otherwise expand to gigabytes once the data is copied into metadata. (Made on first use:
    yaml is imported only for notes with front matter.)"""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise Refused("front matter uses YAML aliases (*name), which mem does not expand")
            self.depth += 1
            if self.depth > bounds.MAX_YAML_DEPTH:
                raise Refused(f"front matter nests deeper than {bounds.MAX_YAML_DEPTH} levels (the limit)")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def _load_yaml(text: str) -> Any:
    loader = _loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def front_matter(text: str, context: ReadContext, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    match = FRONT_MATTER.match(text[:bounds.MAX_FRONT_MATTER + 8])
    if not match:
        if FRONT_MATTER.match(text):
            context.warn(f"{path}: front matter longer than {bounds.size_text(bounds.MAX_FRONT_MATTER)} "
                         "(the limit); read as text")
        return {}, text
    import yaml

    try:
        data = _load_yaml(match.group(1))
    except Refused as exc:
        context.warn(f"{path}: {exc}; read as text")
        return {}, text
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        context.warn(f"{path}: front matter is not valid YAML; read as text")
        return {}, text
    return (_jsonable(data) if isinstance(data, dict) else {}), text[match.end():]


def properties(body: str) -> tuple[dict[str, str], str]:
    """`key:: value` properties anywhere in the note (the first of each key wins), and the body
    without its leading block of them (Logseq's page properties)."""
    found: dict[str, str] = {}
    lines = body.split("\n")
    lead = 0
    while lead < len(lines) and PROPERTY.match(lines[lead]):
        lead += 1
    fence: str | None = None
    for line in lines:
        if (fence_match := FENCE.match(line)):
            fence = None if fence == fence_match.group(1) else (fence or fence_match.group(1))
            continue
        if fence is None and "::" in line and (match := PROPERTY.match(line)):
            found.setdefault(match.group(1).lower(), match.group(2))
    return found, "\n".join(lines[lead:]) if lead else body


def _listed(value: Any) -> list[str]:
    """A property or front-matter list: YAML list, or "a, [[b]], #c" text."""
    if isinstance(value, str):
        words = [w.strip() for w in value.split(",")]
    elif isinstance(value, (list, tuple)):
        words = [str(w).strip() for w in value if w is not None]
    else:
        return []
    return [w.removeprefix("[[").removesuffix("]]").lstrip("#").strip() for w in words if w.strip()]


def aliases(meta: dict[str, Any], props: dict[str, str]) -> list[str]:
    found = _listed(meta.get("aliases")) + _listed(meta.get("alias")) + _listed(props.get("alias"))
    return [a for a in dict.fromkeys(found) if a]


def _when(value: Any) -> str | None:
    try:
        if isinstance(value, datetime):
            return to_db(value)
        if isinstance(value, date):
            return to_db(datetime.combine(value, time.min))
    except (ValueError, OverflowError):  # year 1 or 9999 across a time zone
        return None
    if isinstance(value, str):
        try:
            return to_db(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except (ValueError, OverflowError):
            return None
    return None


def observed_at(meta: dict[str, Any], path: Path) -> str:
    """Front matter date when there is one, else a daily note's name, else the file's modification time."""
    for key in DATE_KEYS:
        if key in meta and (when := _when(meta[key])):
            return when
    if daily := DAILY_NAME.match(path.stem):
        try:
            return to_db(datetime.combine(date(*map(int, daily.groups())), time.min))
        except ValueError:  # 2024-13-45 is not a day
            pass
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
            stack.append((level, heading.group(2).rstrip(" \t#").strip()))
            lines = [line]
        else:
            lines.append(line)
    found.append(([title for _, title in stack], lines))
    merged: list[tuple[list[str], str]] = []
    carry: list[str] = []  # a list, not a growing string: a run of empty headings stays linear
    for path, section_lines in found:
        text = "\n".join(section_lines).strip()
        body_only = "\n".join(section_lines[1:] if section_lines and HEADING.match(section_lines[0]) else section_lines)
        if not body_only.strip():
            if text:
                carry.append(text)
            continue
        merged.append((path, "\n\n".join([*carry, text]).strip()))
        carry = []
    if carry:
        merged.append(([title for _, title in stack], "\n\n".join(carry)))
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
        start = 0  # cut by position, not by slicing off the rest: a huge run-on line stays linear
        while len(sentence) - start > MAX_CHARS:  # one huge run-on line: cut at a space
            cut = sentence.rfind(" ", start, start + MAX_CHARS)
            cut = cut if cut - start > MAX_CHARS // 2 else start + MAX_CHARS
            pieces.append(sentence[start:cut].strip())
            start = SPACES.match(sentence, cut).end()  # type: ignore[union-attr]
        sentence = sentence[start:].strip()
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
        if "excalidraw-plugin" in meta:
            raise ReadError("an Excalidraw drawing, not a note; skipped")
        props, body = properties(body) if self.markdown else ({}, body)
        when = observed_at({**{k: v for k, v in props.items() if k in DATE_KEYS}, **meta}, path)
        type_ = next((str(meta[k]) for k in ("mem_type", "type") if str(meta.get(k)) in RECORD_TYPES), "episodic")
        file_tags = list(dict.fromkeys(meta_tags(meta) + _listed(props.get("tags"))))
        title = str(meta.get("title") or props.get("title") or path.stem)
        also = aliases(meta, props)
        parts = sections(body) if self.markdown else [([], body.strip())]
        seen: dict[str, int] = {}
        index = 0
        for headings, section_text in parts:
            heading_line = section_text.split("\n", 1)[0] if HEADING.match(section_text.split("\n", 1)[0]) else ""
            for part, chunk in enumerate(c for c in pack(section_text) if c.strip()):
                if part and heading_line and not chunk.startswith(heading_line):
                    chunk = f"{heading_line}\n\n{chunk}"  # a continuation keeps its heading for context
                if index == 0 and also:
                    chunk = f"{chunk}\n\nAliases: {', '.join(also)}"
                digest = hashlib.sha256(normalise(chunk).encode("utf-8")).hexdigest()[:16]
                seen[digest] = seen.get(digest, 0) + 1
                metadata: dict[str, Any] = {"format": self.name, "title": title, "chunk": index, "part": part}
                if headings:
                    metadata["headings"] = headings
                if self.markdown and (found := links(chunk)):
                    metadata["links"] = found
                if meta:
                    metadata["front_matter"] = meta
                if props:
                    metadata["properties"] = props
                if also:
                    metadata["aliases"] = also
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
