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
    targets: list[Record]                                  # what was named, with its older versions for a purge
    cascade: list[Record] = field(default_factory=list)    # derived records purged with their sources
    requeued: list[int] = field(default_factory=list)      # their other sources, derived again next consolidation
    replace_with: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "targets": [r.id for r in self.targets],
            "cascade": [r.id for r in self.cascade],
            "requeued": self.requeued,
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
           filters: Filters | None = None, mode: str = "release") -> list[Record]:
    """The records a forget command names: by id, by whole-word phrase, by source, or by filters.

    Release and supersede act on current memories; a purge reaches every record that matches,
    released, archived or superseded ones included (text that is "forgotten" must not stay)."""
    from memcli.services.remember import check_id

    filters = filters or Filters()
    if mode == "purge":
        filters = Filters(filters.types, filters.since, filters.until, filters.tags, filters.sources, view="all")
    chosen: dict[int, Record] = {}
    if ids:
        found = records.get_many(store, [check_id(i) for i in ids])
        missing = [i for i in ids if i not in found]
        if missing:
            raise MemError(f"no memory with id {', '.join(map(str, missing))}", "find ids with mem search or mem list")
        chosen.update(found)
    if match is not None:
        if not match.strip() or not any(ch.isalnum() for ch in match):
            raise MemError("--match needs words", "e.g. --match 'Ann'")
        chosen.update({r.id: r for r in lifecycle.phrase_matches(store, match, filters)})
    if source is not None:
        path = str(Path(source).expanduser().resolve()) if source not in ("cli", "shell", "mcp", "tui") else source
        chosen.update({r.id: r for r in lifecycle.by_source(store, path, filters)})
    if not ids and match is None and source is None:
        if not filters.narrowed():
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
        if not targets[0].is_head:
            raise MemError(f"#{targets[0].id} is an old version (superseded by #{targets[0].superseded_by})",
                           "replace the current version instead (see mem history)")
    if mode == "purge":
        result.targets, result.cascade, result.requeued = _purge_closure(store, targets)
    if mode == "release":
        result.cascade = [r for r in _derived_closure(store, targets) if r.state == "active"]
    return result


def _derived_closure(store: Store, named: list[Record]) -> list[Record]:
    """Every record derived, directly or not, from `named`: a digest or a fact may quote them."""
    gone = {r.id for r in named}
    frontier = set(gone)
    found: set[int] = set()
    while frontier:
        frontier = lifecycle.derived_from_any(store, frontier) - gone - found
        found |= frontier
    rows = records.get_many(store, found)
    return [rows[i] for i in sorted(found)]


def _purge_closure(store: Store, named: list[Record]) -> tuple[list[Record], list[Record], list[int]]:
    """What a purge of `named` takes: their older versions (never a newer version someone wrote
    afterwards), and every derived record built from any of them (a digest or fact may quote the
    purged text), and so on. The derived records' other sources are queued so that consolidation
    derives them again without the purged text; a derived record they had replaced comes back."""
    targets = {r.id for r in named} | lifecycle.older_versions(store, {r.id for r in named})
    gone = set(targets)
    frontier = set(targets)
    while frontier:
        derived = lifecycle.derived_from_any(store, frontier) - gone
        gone |= derived
        frontier = derived
    cascade = gone - targets
    requeued = sorted(set().union(*lifecycle.sources_of(store, gone).values()) - gone)
    found = records.get_many(store, gone)
    return [found[i] for i in sorted(targets)], [found[i] for i in sorted(cascade)], requeued


def apply(store: Store, forget: ForgetPlan, actor: str = "cli") -> ForgetResult:
    op_id = f"forget-{secrets.token_hex(4)}"
    now = to_db(now_local())
    result = ForgetResult(op_id, forget)
    if forget.mode == "purge":
        lifecycle.secure_delete(store)
    with store.transaction():
        if forget.mode == "release":
            # What was derived from a released memory may quote it: hidden with it, back with --undo.
            hidden = forget.targets + forget.cascade
            lifecycle.set_state(store, [r.id for r in hidden], "released")
            for record in hidden:
                events.log(store, actor, "release", record.id, op_id, previous_state=record.state)
            fts_index.refresh_sessions(store, {r.session for r in hidden if r.session})
        elif forget.mode == "supersede":
            result.replacement = _supersede(store, forget.targets[0], forget.replace_with or "", now, op_id, actor)
        else:
            _purge(store, forget, op_id, actor)
    if forget.mode == "purge":
        lifecycle.checkpoint(store)
    return result


def _supersede(store: Store, old: Record, text: str, now: str, op_id: str, actor: str) -> Record:
    """A new version takes over from `old`. It is the same item of the same source (a corrected
    note chunk stays that chunk: ingesting the unchanged note again does not bring the old text
    back), and an event keeps the time it happened."""
    new = build_record(text, old.type, observed_at=old.observed_at if old.type == "episodic" else None,
                       source=old.source, tags=old.tags, source_ref=old.source_ref, session=old.session,
                       speaker=old.speaker, metadata={**old.metadata, "edited_from": old.id})
    new.valid_from = now
    records.insert(store, new)
    lifecycle.end_validity(store, old.id, now, new.id)
    events.log(store, actor, "supersede", old.id, op_id, superseded_by=new.id)
    events.log(store, actor, "add", new.id, op_id, supersedes=old.id, type=new.type)
    return new


def _purge(store: Store, forget: ForgetPlan, op_id: str, actor: str) -> None:
    gone = forget.targets + forget.cascade
    ids = [r.id for r in gone]
    lifecycle.requeue(store, forget.requeued)
    for reopened in lifecycle.reopen_replaced_by(store, ids):
        events.log(store, actor, "reopen", reopened, op_id, reason="what replaced it was purged")
    lifecycle.purge(store, ids)
    lifecycle.scrub_journal(store, ids)
    # Neighbours carried the purged text as context, and sessions as their body.
    fts_index.refresh_sessions(store, {r.session for r in gone if r.session})
    lifecycle.optimize_indexes(store)
    for record in gone:
        lifecycle.scrub_events(store, record.id, record.content_hash)
        events.log(store, actor, "purge", record.id, op_id, hash=record.content_hash)
    for source_id in forget.requeued:
        events.log(store, actor, "requeue", source_id, op_id, reason="a record derived from it was purged")


def undo(store: Store, op_id: str, actor: str = "cli") -> list[int]:
    """Restore what a release operation hid. Supersedes are undone by forgetting the new version."""
    released = [e for e in events.for_run(store, op_id) if e["action"] == "release"]
    if not released:
        raise MemError(f"no release operation {op_id!r}", "find op ids in the output of mem forget or mem show")
    ids = [e["record_id"] for e in released]
    with store.transaction():
        back = records.get_many(store, ids)  # purged since: nothing to bring back
        lifecycle.set_state(store, list(back), "active")
        for record_id in back:
            events.log(store, actor, "restore", record_id, op_id)
        fts_index.refresh_sessions(store, {r.session for r in back.values() if r.session})
    return sorted(back)


def restore(store: Store, ids: Sequence[int], actor: str = "cli") -> list[int]:
    from memcli.services.remember import check_id

    found = records.get_many(store, [check_id(i) for i in ids])
    missing = [i for i in ids if i not in found]
    if missing:
        raise MemError(f"no memory with id {', '.join(map(str, missing))}", "purged memories cannot come back")
    hidden = [i for i in ids if found[i].state != "active"]
    with store.transaction():
        if hidden:
            lifecycle.set_state(store, hidden, "active")
        for record_id in hidden:
            events.log(store, actor, "restore", record_id, previous_state=found[record_id].state)
        fts_index.refresh_sessions(store, {s for s in (found[i].session for i in hidden) if s})
    return hidden


def compact(store: Store) -> dict[str, int]:
    from memcli.store import info

    before = info.file_info(store)["size_bytes"]
    lifecycle.vacuum(store)
    return {"before_bytes": before, "after_bytes": info.file_info(store)["size_bytes"]}
