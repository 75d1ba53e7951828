"""What a walk leaves out: `.memignore` files and `mem ingest --exclude`, with gitignore's globs.

One pattern a line; blank lines and `#` comments are skipped. `*` and `?` stay within a path
part, `**` crosses parts, `[abc]` is a set; a pattern with a `/` at its start or in its middle
is anchored to the folder of the `.memignore` (or to the folder being ingested, for
`--exclude`), otherwise it matches a name at any depth; a trailing `/` matches folders only; a
leading `!` takes a path back in. The last matching pattern wins, and everything under an
ignored folder is ignored, as in git.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

FILE_NAME = ".memignore"
MAX_PATTERNS = 1000  # a .memignore is a short hand-written list; more is not read


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and (end := glob.find("]", i + (3 if glob[i + 1:i + 2] in ("!", "^") else 2))) > 0:
            body = glob[i + 1:end]  # a "]" right after "[" (or "[!") belongs to the set
            negated = body[:1] in ("!", "^")
            body = body[1:] if negated else body
            out.append("[" + ("^" if negated else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end + 1
        elif c == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def compile_pattern(line: str) -> Pattern | None:
    line = line.rstrip("\n\r")
    if not line.strip() or line.startswith("#"):
        return None
    line = line.rstrip(" ") if not line.endswith("\\ ") else line
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    if line.startswith("\\"):  # "\#file", "\!file": a literal first character
        line = line[1:] if line[1:2] in ("#", "!") else line
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    body = _translate(line.lstrip("/"))
    regex = re.compile(("^" if anchored else "^(?:.*/)?") + body + "$", re.S)
    return Pattern(regex, negate, dir_only)


def parse(lines: Iterable[str]) -> list[Pattern]:
    found = [p for p in map(compile_pattern, lines) if p is not None]
    return found[:MAX_PATTERNS]


@dataclass
class Rules:
    """Patterns, each with the folder it is relative to."""

    rules: list[tuple[str, list[Pattern]]] = field(default_factory=list)
    _loaded: set[str] = field(default_factory=set)

    def add(self, base: str | os.PathLike[str], patterns: list[Pattern]) -> None:
        if patterns:
            self.rules.append((os.path.abspath(base), patterns))

    def load(self, folder: str | os.PathLike[str]) -> list[str]:
        """Read `folder/.memignore` once, if there is one; returns problems (unreadable file)."""
        folder = os.path.abspath(folder)
        if folder in self._loaded:
            return []
        self._loaded.add(folder)
        path = os.path.join(folder, FILE_NAME)
        if not os.path.isfile(path):
            return []
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                self.add(folder, parse(fh.readlines(256 * 1024)))
        except OSError as exc:
            return [f"{path}: cannot read ({exc.strerror}); its patterns are not applied"]
        return []

    def load_ancestors(self, path: str | os.PathLike[str]) -> list[str]:
        """The `.memignore` files of every folder above `path` (for a file given by itself)."""
        problems: list[str] = []
        folder = Path(os.path.abspath(path)).parent
        for parent in [folder, *folder.parents]:
            problems += self.load(parent)
        return problems

    def _matches(self, path: str, is_dir: bool) -> bool:
        verdict = False
        for base, patterns in self.rules:
            if not path.startswith(base.rstrip(os.sep) + os.sep):
                continue
            relative = os.path.relpath(path, base).replace(os.sep, "/")
            for pattern in patterns:
                if (not pattern.dir_only or is_dir) and pattern.regex.match(relative):
                    verdict = not pattern.negate
        return verdict

    def ignored(self, path: str | os.PathLike[str], is_dir: bool = False, *, parents: bool = False) -> bool:
        """Whether `path` is ignored. `parents`: also when a folder above it is (for a path that
        was not reached by walking down, where an ignored folder would have been pruned)."""
        path = os.path.abspath(path)
        if not self.rules:
            return False
        if parents:
            for parent in reversed(Path(path).parents):
                if any(str(parent).startswith(base.rstrip(os.sep) + os.sep) for base, _ in self.rules) \
                        and self._matches(str(parent), True):
                    return True
        return self._matches(path, is_dir)
