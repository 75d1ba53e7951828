"""`mem consolidate`: episodes become facts, procedures and digests; weak memories fade.

The zero-LLM stages always run first (dedupe, procedure mining, session digests, decay); the
LLM stage (extraction and reconciliation) runs after them when a model is configured. Each
stage's ops are applied in batches, one transaction each, through a `Journal`, so a killed run
leaves a consistent db, a rerun converges, and `--undo RUN_ID` restores the exact prior state.

A model string is checked before anything is written. A run killed outright (SIGKILL) cannot
mark itself: the next run, or `--runs`, finds it `running` while nobody holds the consolidation
lock (the kernel releases it when its holder dies) and marks it `abandoned`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Callable

from memcli.errors import MemError
from memcli.services.consolidate import decay, dedupe, digests, procedures
from memcli.services.consolidate.lock import ConsolidationLock
from memcli.services.consolidate.ops import Op
from memcli.store import Store, events, journal, runs
from memcli.timeparse import now_local, to_db

APPLY_BATCH = 200
Progress = Callable[[str], None]


@dataclass
class RunReport:
    run_id: str | None
    dry_run: bool
    ops: dict[str, list[Op]] = field(default_factory=dict)
    model: str | None = None
    tokens: dict[str, int] = field(default_factory=lambda: {"prompt": 0, "completion": 0})
    notes: list[str] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)  # model output left out, by reason
    adjusted: dict[str, int] = field(default_factory=dict)  # model output kept after a correction
    skipped_batches: int = 0

    def reject(self, reason: str, count: int = 1, *, counted: bool = True) -> None:
        if count:
            tally = self.rejected if counted else self.adjusted
            tally[reason] = tally.get(reason, 0) + count

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for ops in self.ops.values():
            for op in ops:
                counted[op.kind] = counted.get(op.kind, 0) + 1
        return counted

    def run_counts(self) -> dict[str, int]:
        """What `--runs` lists: ops applied, and what was left out."""
        counted = self.counts()
        if self.rejected:
            counted["rejected"] = sum(self.rejected.values())
        if self.skipped_batches:
            counted["batches skipped"] = self.skipped_batches
        return counted

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "dry_run": self.dry_run, "model": self.model, "counts": self.counts(),
            "tokens": self.tokens, "notes": self.notes, "rejected": self.rejected, "adjusted": self.adjusted,
            "skipped_batches": self.skipped_batches,
            "ops": {stage: [op.to_json() for op in ops] for stage, ops in self.ops.items()},
        }


def new_run_id() -> str:
    return f"run-{now_local().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"


# A stage is a module with `plan(...) -> list[Op]` (what --dry-run shows) and an `apply` of this
# type, which writes a batch of ops through the run's journal inside the caller's transaction.
Apply = Callable[[journal.Journal, list[Op], str], None]


def _apply(store: Store, log: journal.Journal, apply: Apply, ops: list[Op], now: str) -> None:
    for start in range(0, len(ops), APPLY_BATCH):
        with store.transaction():
            apply(log, ops[start:start + APPLY_BATCH], now)


def run(store: Store, *, settings: Any = None, dry_run: bool = False, max_tokens: int | None = None,
        progress: Progress | None = None) -> RunReport:
    """One consolidation run. `settings` (llm.settings.Settings, resolved once by the caller) adds
    the LLM stage; None runs the zero-LLM stages only."""
    say = progress or (lambda _: None)
    with ConsolidationLock(store.path.parent):
        now = to_db(now_local())
        model = settings.model if settings is not None else None
        report = RunReport(run_id=None if dry_run else new_run_id(), dry_run=dry_run, model=model)
        client = None
        if settings is not None:  # a bad model string fails here, before the run is recorded or anything changes
            from memcli.services.consolidate import extract

            client = extract.client_for(store, settings, report.run_id)
        if not dry_run:
            _mark_abandoned(store, now)
        embedder = _embedder(store, say, report)
        run_id = report.run_id or ""  # "" only for a dry run, which records nothing
        if not dry_run:
            with store.transaction():
                runs.start(store, run_id, now, model)
        log = None if dry_run else journal.Journal(store, run_id)
        stages: list[tuple[str, Callable[[], list[Op]], Apply]] = [
            ("dedupe", lambda: dedupe.plan(store, embedder), dedupe.apply),
            ("procedures", lambda: procedures.plan(store), procedures.apply),
            ("digests", lambda: digests.plan(store), digests.apply),
            ("decay", lambda: decay.plan(store, now), decay.apply),
        ]
        try:
            for name, plan, apply in stages:
                say(f"Consolidating: {name}")
                ops = plan()
                report.ops[name] = ops
                if log is not None and ops:
                    _apply(store, log, apply, ops, now)
            if client is not None:
                from memcli import config

                say("Consolidating: extracting facts with " + client.model)
                extract.run(store, log, client=client, now=now, max_tokens=max_tokens, report=report,
                            progress=say, embedder=embedder,
                            include_shell=bool(config.get("consolidate.include_shell")))
        except BaseException as exc:
            if not dry_run:
                with store.transaction():
                    runs.finish(store, run_id, to_db(now_local()), "failed", report.run_counts(),
                                report.tokens["prompt"], report.tokens["completion"], error=str(exc)[:500])
            raise
        if not dry_run:
            with store.transaction():
                runs.finish(store, run_id, to_db(now_local()), "done", report.run_counts(),
                            report.tokens["prompt"], report.tokens["completion"])
        return report


def _mark_abandoned(store: Store, now: str) -> int:
    """Runs still `running` while the caller holds the lock: their process died."""
    with store.transaction():
        return runs.mark_abandoned(store, now)


def recent_runs(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    """The newest runs, dead ones marked abandoned first (for `--runs`)."""
    reap_abandoned(store)
    return runs.recent(store, limit)


def reap_abandoned(store: Store) -> int:
    """For `--runs`: mark dead runs, unless a consolidation is running now (then leave all)."""
    try:
        with ConsolidationLock(store.path.parent):
            return _mark_abandoned(store, to_db(now_local()))
    except MemError:
        return 0  # someone holds the lock: its run is alive


def _embedder(store: Store, say: Progress, report: RunReport) -> Any:
    """The embedder for near-duplicates and reconciliation. A backlog is not embedded here (a
    run holds the consolidation lock: an import of 50k turns must not keep it for an hour): it
    goes to the background embedder, and what is not embedded yet waits for the next run."""
    from memcli.services.embedding import prepare

    say("Consolidating: checking vectors")
    upkeep = prepare(store)
    report.notes.extend(upkeep.notices)
    return upkeep.embedder


def undo(store: Store, run_id: str) -> int:
    """Restore the state before `run_id`. Later runs must be undone first."""
    with ConsolidationLock(store.path.parent):
        found = runs.get(store, run_id)
        if found is None:
            raise MemError(f"no consolidation run {run_id!r}", "list runs with mem consolidate --runs")
        if found["status"] == "undone":
            raise MemError(f"run {run_id} is already undone", "nothing to do")
        later = runs.later_than(store, run_id)
        if later:
            raise MemError(f"later runs depend on {run_id}: {', '.join(later)}", "undo those first, newest first")
        with store.transaction():
            changes = journal.undo(store, run_id)
            runs.set_status(store, run_id, "undone")
            events.log(store, "consolidate", "undo", None, run_id, changes=changes)
        return changes
