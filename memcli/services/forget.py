"""Forgetting, precisely: release (hide, restorable), supersede (a new version takes over) and
purge (gone, cascading through provenance), each in one transaction.

Every operation gets an id (`forget-...`) written on its events, so `mem forget --undo OP`
restores exactly what that release hid.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from memcli.errors import MemError
from memcli.models import Record
from memcli.retrieve import fts_index
from memcli.services.remember import build_record
from memcli.store import Store, events, lifecycle, records
from memcli.store.records import Filters
from memcli.timeparse import now_local, to_db

MODES = ("release", "supersede", "purge")


@dataclass
class ForgetPlan:
    mode: str
    targets: list[Record]
    cascade: list[Record] = field(default_factory=list)   # derived records purged with their sources
    flagged: list[Record] = field(default_factory=list)   # derived records that keep other sources
    replace_with: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "targets": [r.id for r in self.targets],
            "cascade": [r.id for r in self.cascade],
            "flagged": [r.id for r in self.flagged],
        }


@dataclass
class ForgetResult:
    op_id: str
    plan: ForgetPlan
    replacement: Record | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"op_id": self.op_id, **self.plan.to_json()}
        if self.replacement is not None:
            data["replacement"] = self.replacement.id
        return data


def select(store: Store, ids: Sequence[int] = (), match: str | None = None, source: str | None = None,
           filters: Filters | None = None) -> list[Record]:
    """The records a forget command names: by id, by whole-word phrase, by source, or by filters."""
    filters = filters or Filters()
    chosen: dict[int, Record] = {}
    if ids:
        found = records.get_many(store, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise MemError(f"no memory with id {', '.join(map(str, missing))}", "find ids with mem search or mem list")
        chosen.update(found)
    if match is not None:
        if not match.strip() or not any(ch.isalnum() for ch in match):
            raise MemError("--match needs words", "e.g. --match 'Ann'")
        chosen.update({r.id: r for r in lifecycle.phrase_matches(store, match, filters)})
    if source is not None:
        path = str(Path(source).expanduser().resolve()) if source not in ("cli", "shell") else source
        chosen.update({r.id: r for r in lifecycle.by_source(store, path, filters)})
    if not ids and match is None and source is None:
        if not (filters.types or filters.since or filters.until or filters.tags or filters.sources):
            raise MemError("nothing says what to forget", "give ids, --match TEXT, --source PATH or filters")
        chosen.update({r.id: r for r in lifecycle.by_filters(store, filters)})
    return [chosen[i] for i in sorted(chosen)]


def plan(store: Store, targets: list[Record], mode: str, replace_with: str | None = None) -> ForgetPlan:
    if mode not in MODES:
        raise MemError(f"unknown forget mode {mode!r}", f"use one of {', '.join(MODES)}")
    result = ForgetPlan(mode, targets, replace_with=replace_with)
    if mode == "supersede":
        if len(targets) != 1:
            raise MemError(f"--replace-with needs exactly one memory, {len(targets)} matched", "name one id")
        if not (replace_with or "").strip():
            raise MemError("--replace-with needs the new text", "e.g. --replace-with 'I live in Berlin'")
    if mode == "purge":
        result.cascade, result.flagged = _cascade(store, {r.id for r in targets})
    return result


def _cascade(store: Store, purged: set[int]) -> tuple[list[Record], list[Record]]:
    """Derived records left with no sources go too (recursively); the others are flagged."""
    gone = set(purged)
    frontier = set(purged)
    while frontier:
        derived = lifecycle.derived_from_any(store, frontier) - gone
        sources = lifecycle.sources_of(store, derived)
        frontier = {d for d in derived if sources[d] <= gone}
        gone |= frontier
    flagged = lifecycle.derived_from_any(store, gone) - gone
    found = records.get_many(store, (gone - purged) | flagged)
    return ([found[i] for i in sorted(gone - purged)], [found[i] for i in sorted(flagged)])


def apply(store: Store, forget: ForgetPlan, actor: str = "cli") -> ForgetResult:
    op_id = f"forget-{secrets.token_hex(4)}"
    now = to_db(now_local())
    result = ForgetResult(op_id, forget)
    if forget.mode == "purge":
        lifecycle.secure_delete(store)
    with store.transaction():
        if forget.mode == "release":
            lifecycle.set_state(store, [r.id for r in forget.targets], "released")
            for record in forget.targets:
                events.log(store, actor, "release", record.id, op_id, previous_state=record.state)
        elif forget.mode == "supersede":
            old = forget.targets[0]
            new = build_record(forget.replace_with or "", old.type, source="cli", tags=old.tags)
            new.valid_from = now
            records.insert(store, new)
            lifecycle.end_validity(store, old.id, now, new.id)
            records.add_provenance(store, new.id, [old.id], op_id)
            events.log(store, actor, "supersede", old.id, op_id, superseded_by=new.id)
            events.log(store, actor, "add", new.id, op_id, supersedes=old.id, type=new.type)
            result.replacement = new
        else:
            gone = forget.targets + forget.cascade
            for record in forget.flagged:
                lifecycle.flag_for_rederive(store, record.id)
                events.log(store, actor, "flag", record.id, op_id, reason="a source was purged")
            lifecycle.purge(store, [r.id for r in gone])
            # Neighbours carried the purged text as context, and sessions as their body.
            fts_index.refresh_sessions(store, {r.session for r in gone if r.session})
            lifecycle.optimize_indexes(store)
            for record in gone:
                lifecycle.scrub_events(store, record.id, record.content_hash)
                events.log(store, actor, "purge", record.id, op_id, hash=record.content_hash)
    if forget.mode == "purge":
        lifecycle.checkpoint(store)
    return result


def undo(store: Store, op_id: str, actor: str = "cli") -> list[int]:
    """Restore what a release operation hid. Supersedes are undone by forgetting the new version."""
    released = [e for e in events.for_run(store, op_id) if e["action"] == "release"]
    if not released:
        raise MemError(f"no release operation {op_id!r}", "find op ids in the output of mem forget or mem show")
    ids = [e["record_id"] for e in released]
    with store.transaction():
        lifecycle.set_state(store, ids, "active")
        for record_id in ids:
            events.log(store, actor, "restore", record_id, op_id)
    return ids


def restore(store: Store, ids: Sequence[int], actor: str = "cli") -> list[int]:
    found = records.get_many(store, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise MemError(f"no memory with id {', '.join(map(str, missing))}", "purged memories cannot come back")
    hidden = [i for i in ids if found[i].state != "active"]
    with store.transaction():
        if hidden:
            lifecycle.set_state(store, hidden, "active")
        for record_id in hidden:
            events.log(store, actor, "restore", record_id, previous_state=found[record_id].state)
    return hidden


def compact(store: Store) -> dict[str, int]:
    from memcli.store import info

    before = info.file_info(store)["size_bytes"]
    lifecycle.vacuum(store)
    return {"before_bytes": before, "after_bytes": info.file_info(store)["size_bytes"]}
