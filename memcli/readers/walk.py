"""Which files a folder holds for mem: the walk behind `mem ingest` and `mem watch`.

In a tree only note and chat-export files are taken (and files of the suffixes plugin readers
declare). Left out: hidden folders (.obsidian, .git, .trash), editor swap and sync leftovers,
Obsidian's templates folder and Excalidraw drawings, Logseq's `logseq/bak` and
`logseq/version-files` copies, what `.memignore` files and `--exclude` globs name, and anything
that is not a regular file (a named pipe would block the read forever, a device never ends).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from memcli.readers import bounds, ignore

NOTE_SUFFIXES = {".md", ".markdown", ".txt"}
CHAT_SUFFIXES = {".json", ".jsonl", ".ndjson"}

# Files no one means to ingest: editor swap and backup files, vim's write test, sync leftovers.
IGNORED_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload", "~", "-wal", "-shm", "-journal")
IGNORED_NAMES = {"4913", ".DS_Store", "Thumbs.db"}
DRAWING_SUFFIXES = (".excalidraw.md", ".excalidraw")  # Obsidian Excalidraw data: JSON, not prose
LOGSEQ_COPIES = {"bak", "version-files"}  # under logseq/: old versions of pages, not pages


def is_ignored_name(name: str) -> bool:
    return (name in IGNORED_NAMES or name.startswith((".#", "~$", ".~")) or name.endswith(IGNORED_SUFFIXES)
            or (name.startswith("#") and name.endswith("#")))


def is_drawing(name: str) -> bool:
    return name.lower().endswith(DRAWING_SUFFIXES)


@dataclass
class Walk:
    """The files found under the given paths, and what could not be walked."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)  # given paths that do not exist
    roots: list[Path] = field(default_factory=list)    # given directories
    ignored: list[Path] = field(default_factory=list)  # given paths left out (see left_out)


def walk(paths: Iterable[str | os.PathLike[str]], exclude: Iterable[Path] = (), ignore_globs: Iterable[str] = (),
         suffixes: Iterable[str] = ()) -> Walk:
    """Expand files and directory trees. `exclude`: exact paths never taken (the database);
    `ignore_globs`: `--exclude` patterns, relative to each folder given; `suffixes`: more file
    suffixes to take in a tree. Symlink loops are cut once."""
    found = Walk()
    excluded = {os.path.abspath(p) for p in exclude}
    globs = ignore.parse(ignore_globs)
    wanted = NOTE_SUFFIXES | CHAT_SUFFIXES | {s.lower() for s in suffixes}
    rules = ignore.Rules()
    seen: set[str] = set()
    for given in paths:
        path = Path(os.path.abspath(os.path.expanduser(str(given))))
        if not path.exists():
            (found.problems.append(f"{path}: broken symlink") if path.is_symlink() else found.missing.append(path))
            continue
        found.problems += rules.load_ancestors(path)
        if left_out(path, rules):  # as the walk of its folder would (mem watch gives paths one by one)
            found.ignored.append(path)
        elif path.is_dir():
            found.roots.append(path)
            rules.add(path, globs)
            _walk_dir(path, found, excluded, seen, rules, wanted)
        elif str(path) not in seen:
            seen.add(str(path))
            if reason := bounds.not_regular(path):
                found.problems.append(f"{path}: {reason}")
            else:
                found.files.append(path)
    return found


def left_out(path: str | os.PathLike[str], rules: ignore.Rules | None = None) -> str | None:
    """Why a path given by itself is left out, as a walk of its folder would leave it out: a
    .memignore names it, it is in an Obsidian vault's templates folder or in Logseq's copies,
    or it is a drawing. None: it is taken."""
    path = Path(os.path.abspath(path))
    if rules is None:
        rules = ignore.Rules()
        rules.load_ancestors(path)
    if rules.ignored(path, path.is_dir(), parents=True):
        return f"left out by {ignore.FILE_NAME}"
    parts = path.parts
    if any(a == "logseq" and b in LOGSEQ_COPIES for a, b in zip(parts, parts[1:])):
        return "an old copy in Logseq's logseq/bak or logseq/version-files"
    for folder in path.parents:
        if os.path.isdir(os.path.join(folder, ".obsidian")):
            if any(str(path).startswith(t.rstrip(os.sep) + os.sep) for t in template_folders(str(folder))):
                return "in the vault's templates folder"
            break
    if is_drawing(path.name):
        return "an Excalidraw drawing, not a note"
    return None


def template_folders(root: str) -> set[str]:
    """Obsidian's templates folders for the vault at `root` (core Templates and Templater
    settings), else `root/Templates`."""
    folders = {os.path.join(root, name) for name in ("Templates", "templates")}
    settings = ((".obsidian/templates.json", "folder"), (".obsidian/plugins/templater-obsidian/data.json", "templates_folder"))
    for relative, key in settings:
        try:
            with open(os.path.join(root, relative), encoding="utf-8") as fh:
                value = json.loads(fh.read(64 * 1024)).get(key)
        except (OSError, ValueError, AttributeError, RecursionError):
            continue
        if isinstance(value, str) and value.strip("/ "):
            folders.add(os.path.normpath(os.path.join(root, value.strip("/ "))))
    return folders


def _walk_dir(root: Path, found: Walk, excluded: set[str], seen: set[str], rules: ignore.Rules,
              wanted: set[str]) -> None:
    visited: set[str] = set()
    skipped_dirs = template_folders(str(root))

    def on_error(error: OSError) -> None:
        found.problems.append(f"{error.filename}: cannot list ({error.strerror})")

    for directory, dirs, files in os.walk(root, followlinks=True, onerror=on_error):
        real = os.path.realpath(directory)
        if real in visited:  # a symlink back up the tree
            found.problems.append(f"{directory}: symlink loop, skipped")
            dirs[:] = []
            continue
        visited.add(real)
        found.problems += rules.load(directory)
        if ".obsidian" in dirs and directory != str(root):  # a vault inside the folder given
            skipped_dirs |= template_folders(directory)
        is_logseq = os.path.basename(directory) == "logseq"
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (is_logseq and d in LOGSEQ_COPIES)
                         and os.path.join(directory, d) not in skipped_dirs
                         and not rules.ignored(os.path.join(directory, d), is_dir=True))
        for name in sorted(files):
            if is_ignored_name(name) or name.startswith(".") or is_drawing(name):
                continue
            if Path(name).suffix.lower() not in wanted:
                continue
            full = os.path.join(directory, name)
            if full in excluded or full in seen or rules.ignored(full):
                continue
            if not os.path.exists(full):
                found.problems.append(f"{full}: broken symlink")
                continue
            if reason := bounds.not_regular(full):
                found.problems.append(f"{full}: {reason}")
                continue
            seen.add(full)
            found.files.append(Path(full))
