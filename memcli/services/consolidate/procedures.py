"""Procedure mining from shell history: command sequences that recur in the same directory.

A run of successful commands, consecutive within one shell session and one working directory,
that appears at least MIN_OCCURRENCES times (in at least two sessions) becomes a procedural
record: "In ~/src/memcli: `pip install -e .` → `pytest`", with its count and last use. Only the
longest sequences are kept: a pair that only ever appears inside a recurring triple is that
triple. Re-mining updates counts in place; the text of a procedure never changes.
"""

from __future__ import annotations

import json
from collections import defaultdict

from memcli.models import Record, content_hash
from memcli.services.consolidate.ops import Op
from memcli.store.journal import Journal
from memcli.store import Store, derived

MIN_OCCURRENCES = 3
MIN_SESSIONS = 2
LENGTHS = (4, 3, 2)  # longest first
MAX_SOURCES = 50


def _steps(store: Store) -> dict[tuple[str, str], list[tuple[int, str, str]]]:
    """(session, cwd) -> [(record id, command, observed_at)] of successful commands, in order."""
    runs: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
    for row in derived.shell_episodes(store):
        meta = json.loads(row["metadata"] or "{}")
        if meta.get("exit_code") not in (0, "0", None):
            continue
        command = " ".join(row["text"].split())
        runs[(row["session"] or "", meta.get("cwd") or "")].append((row["id"], command, row["observed_at"]))
    return runs


def plan(store: Store) -> list[Op]:
    occurrences: dict[tuple[str, tuple[str, ...]], list[tuple[str, list[int], str]]] = defaultdict(list)
    for (session, cwd), steps in _steps(store).items():
        for length in LENGTHS:
            for start in range(len(steps) - length + 1):
                window = steps[start:start + length]
                commands = tuple(step[1] for step in window)
                if len(set(commands)) < length:  # `ls; ls` is not a procedure
                    continue
                occurrences[(cwd, commands)].append((session, [step[0] for step in window], window[-1][2]))
    frequent = {
        key: hits for key, hits in occurrences.items()
        if len(hits) >= MIN_OCCURRENCES and len({session for session, _, _ in hits}) >= MIN_SESSIONS
    }
    ops: list[Op] = []
    for (cwd, commands), hits in sorted(frequent.items(), key=lambda item: (-len(item[0][1]), item[0])):
        if _inside_longer(cwd, commands, len(hits), frequent):
            continue
        key = f"procedure:{cwd}:" + "\x1f".join(commands)
        sources = sorted({i for _, ids, _ in hits for i in ids})[-MAX_SOURCES:]
        extra = {"cwd": cwd, "steps": list(commands), "count": len(hits), "last_used": max(h[2] for h in hits),
                 "key": key}
        existing = derived.procedure_by_key(store, key)
        if existing is None:
            ops.append(Op("procedure", text=describe(cwd, commands), sources=sources, type="procedural", extra=extra))
        elif existing.metadata.get("count") != len(hits):
            ops.append(Op("procedure", target=existing.id, sources=sources, type="procedural", extra=extra))
    return ops


def _inside_longer(cwd: str, commands: tuple[str, ...], count: int, frequent: dict) -> bool:
    for (other_cwd, other), hits in frequent.items():
        if other_cwd == cwd and len(other) > len(commands) and len(hits) >= count:
            if any(other[i:i + len(commands)] == commands for i in range(len(other) - len(commands) + 1)):
                return True
    return False


def describe(cwd: str, commands: tuple[str, ...]) -> str:
    place = cwd.replace(str(__import__("pathlib").Path.home()), "~", 1) if cwd else "the shell"
    return f"In {place}: " + " → ".join(f"`{c}`" for c in commands)


def apply(journal: Journal, ops: list[Op], now: str) -> None:
    for op in ops:
        extra = {k: v for k, v in op.extra.items() if k != "key"}
        metadata = {"kind": "procedure", **extra}
        if op.target is None:
            record = Record(type="procedural", text=op.text, observed_at=extra["last_used"], created_at=now,
                            source="consolidate", source_ref=op.extra["key"], metadata=metadata,
                            content_hash=content_hash(op.text), valid_from=now)
            journal.insert_record(record)
            journal.add_provenance(record.id, op.sources)
        else:
            journal.update_record(op.target, metadata=json.dumps(metadata, ensure_ascii=False, sort_keys=True),
                                  observed_at=extra["last_used"])
            journal.add_provenance(op.target, op.sources)
