"""Ordered schema migrations (sqlite-utils `Migrations`).

Append new steps at the end, never edit an applied one. `PRAGMA user_version` mirrors the
number applied so that the common case, an up-to-date database, is checked without importing
sqlite-utils. All pending steps run in one transaction (see `store.db.open_db`).
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("memcli")


@migrations()
def m001_records(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL CHECK (type IN ('episodic', 'semantic', 'procedural')),
            text TEXT NOT NULL CHECK (length(trim(text)) > 0),
            observed_at TEXT NOT NULL,          -- when it happened (UTC ISO 8601)
            created_at TEXT NOT NULL,           -- when mem stored it
            source TEXT NOT NULL DEFAULT 'cli', -- cli, a file path, chat export, shell, ...
            source_ref TEXT,                    -- id inside the source: chat turn, message id
            session TEXT,                       -- conversation / shell session / thread
            speaker TEXT,                       -- who said it, for chat turns
            tags TEXT NOT NULL DEFAULT '[]',    -- JSON array of strings
            metadata TEXT NOT NULL DEFAULT '{}',-- JSON object
            content_hash TEXT NOT NULL,
            pinned INTEGER NOT NULL DEFAULT 0,
            valid_from TEXT,
            valid_to TEXT,
            superseded_by INTEGER REFERENCES records(id)
        );
        CREATE INDEX records_type_observed ON records(type, observed_at);
        CREATE INDEX records_observed ON records(observed_at);
        CREATE INDEX records_hash ON records(content_hash);
        CREATE INDEX records_source_ref ON records(source, source_ref);
        CREATE INDEX records_session ON records(session, observed_at);

        -- Derived records (facts, procedures, digests) point at the records they came from.
        CREATE TABLE provenance (
            derived_id INTEGER NOT NULL REFERENCES records(id),
            source_id INTEGER NOT NULL REFERENCES records(id),
            run_id TEXT,
            PRIMARY KEY (derived_id, source_id)
        ) WITHOUT ROWID;
        CREATE INDEX provenance_source ON provenance(source_id);

        -- Every mutation, so that later work can audit and undo.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,     -- cli, ingest, consolidate, hook, ...
            action TEXT NOT NULL,    -- add, update, supersede, release, purge, ...
            record_id INTEGER,
            run_id TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_record ON events(record_id);

        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- External-content FTS5 index over the text. Hand-written triggers rather than
        -- enable_fts(create_triggers=True): the update trigger fires only when the text
        -- changes, so bookkeeping updates (validity, pinning) do not rewrite the index.
        CREATE VIRTUAL TABLE records_fts USING fts5(
            text, content='records', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
            INSERT INTO records_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
            INSERT INTO records_fts(records_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER records_fts_update AFTER UPDATE OF text ON records BEGIN
            INSERT INTO records_fts(records_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO records_fts(rowid, text) VALUES (new.id, new.text);
        END;
        """
    )


def apply(db: Database) -> None:
    migrations.apply(db)
    applied = len(migrations.applied(db))
    db.execute(f"PRAGMA user_version = {applied:d}")


def count() -> int:
    return len(migrations._migrations)



@migrations()
def m002_llm_calls(db: Database) -> None:
    db.executescript(
        """
        -- One row per LLM call (ask, consolidate, ...): tokens and cost for `mem stats`.
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            purpose TEXT NOT NULL,          -- ask, consolidate.extract, doctor, ...
            model TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            duration_ms REAL,
            ok INTEGER NOT NULL DEFAULT 1,
            error TEXT,
            run_id TEXT
        );
        CREATE INDEX llm_calls_at ON llm_calls(at);
        """
    )


@migrations()
def m003_record_state(db: Database) -> None:
    db.executescript(
        """
        -- released: hidden from search and answers by `mem forget`, kept for history and undo.
        -- archived: a weak derived memory put away by consolidation's decay, restorable.
        -- (Purged records are deleted outright; only their id and hash stay, in events.)
        ALTER TABLE records ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
            CHECK (state IN ('active', 'released', 'archived'));
        CREATE INDEX records_state ON records(state);
        """
    )


@migrations()
def m004_consolidation(db: Database) -> None:
    db.executescript(
        """
        -- Strength for Ebbinghaus-style decay: retention = exp(-days since last use / (strength * 30)).
        ALTER TABLE records ADD COLUMN strength REAL NOT NULL DEFAULT 1.0;
        ALTER TABLE records ADD COLUMN last_used_at TEXT;
        ALTER TABLE records ADD COLUMN use_count INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE consolidation_runs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,            -- running, done, failed, undone
            model TEXT,                      -- NULL: the zero-LLM path only
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            counts TEXT NOT NULL DEFAULT '{}',  -- JSON: ops by kind
            error TEXT
        );

        -- Before-images of every row a run changed, so `--undo` restores the exact prior state.
        -- before IS NULL: the run inserted the row (undo deletes it).
        CREATE TABLE run_journal (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,           -- JSON primary key
            before TEXT,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;

        -- Which episodes each stage has looked at, so reruns skip them and converge.
        CREATE TABLE consolidated (
            record_id INTEGER NOT NULL,
            stage TEXT NOT NULL,
            run_id TEXT NOT NULL,
            PRIMARY KEY (record_id, stage)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m005_search_index(db: Database) -> None:
    db.executescript(
        """
        -- The ranking index (retrieve/index.py keeps it in step with records). Each row is a
        -- record with the text of its session neighbours (ctx1: one turn away, ctx2: two) and
        -- its date in words: an answer's topic words are often in the turn next to it.
        -- Contentless: the text lives in `records`; only the index is stored here.
        CREATE VIRTUAL TABLE search_fts USING fts5(
            text, ctx1, ctx2, date,
            tokenize='porter unicode61 remove_diacritics 2', content='', contentless_delete=1
        );
        -- One row per session: all its text, for a session-level prior.
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE VIRTUAL TABLE session_fts USING fts5(
            body, tokenize='porter unicode61 remove_diacritics 2', content='', contentless_delete=1
        );
        CREATE INDEX records_speaker ON records(speaker) WHERE speaker IS NOT NULL;
        """
    )


@migrations()
def m006_tombstones(db: Database) -> None:
    db.executescript(
        """
        -- What a purge removed from a file or export, by its place only (never its text), so that
        -- ingesting that file again does not bring the purged memory back.
        CREATE TABLE tombstones (
            source TEXT NOT NULL,
            source_ref TEXT NOT NULL,
            purged_at TEXT NOT NULL,
            PRIMARY KEY (source, source_ref)
        ) WITHOUT ROWID;
        """
    )


_RECORDS_V7 = """
    CREATE TABLE records_v7 (
        -- AUTOINCREMENT: an id is never given out twice, even after the newest record is purged
        -- or a consolidation run is undone (plain rowids reuse max(id) + 1).
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL CHECK (type IN ('episodic', 'semantic', 'procedural')),
        text TEXT NOT NULL CHECK (length(trim(text)) > 0),
        observed_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'cli',
        source_ref TEXT,
        session TEXT,
        speaker TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        metadata TEXT NOT NULL DEFAULT '{}',
        content_hash TEXT NOT NULL,
        pinned INTEGER NOT NULL DEFAULT 0,
        valid_from TEXT,
        valid_to TEXT,
        superseded_by INTEGER REFERENCES records(id),
        state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'released', 'archived')),
        strength REAL NOT NULL DEFAULT 1.0,
        last_used_at TEXT,
        use_count INTEGER NOT NULL DEFAULT 0
    )
"""


@migrations()
def m007_ids_only_grow(db: Database) -> None:
    columns = ("id, type, text, observed_at, created_at, source, source_ref, session, speaker, tags, metadata, "
               "content_hash, pinned, valid_from, valid_to, superseded_by, state, strength, last_used_at, use_count")
    db.execute("PRAGMA defer_foreign_keys = ON")  # provenance points at `records` while it is rebuilt
    db.executescript(
        f"""
        DROP TRIGGER records_fts_insert;
        DROP TRIGGER records_fts_delete;
        DROP TRIGGER records_fts_update;
        {_RECORDS_V7};
        INSERT INTO records_v7 ({columns}) SELECT {columns} FROM records;
        DROP TABLE records;
        ALTER TABLE records_v7 RENAME TO records;
        -- Ids already given out to records that were purged since are in the events: never again.
        INSERT OR REPLACE INTO sqlite_sequence (name, seq) SELECT 'records', max(
            coalesce((SELECT max(id) FROM records), 0), coalesce((SELECT max(record_id) FROM events), 0));
        CREATE INDEX records_type_observed ON records(type, observed_at);
        CREATE INDEX records_observed ON records(observed_at);
        CREATE INDEX records_hash ON records(content_hash);
        CREATE INDEX records_source_ref ON records(source, source_ref);
        CREATE INDEX records_session ON records(session, observed_at);
        CREATE INDEX records_state ON records(state);
        CREATE INDEX records_speaker ON records(speaker) WHERE speaker IS NOT NULL;
        CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
            INSERT INTO records_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
            INSERT INTO records_fts(records_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER records_fts_update AFTER UPDATE OF text ON records BEGIN
            INSERT INTO records_fts(records_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO records_fts(rowid, text) VALUES (new.id, new.text);
        END;
        -- A version written with `mem forget --replace-with` (or a TUI edit) is not derived from
        -- the version it replaces: superseded_by links them. As provenance, purging the old version
        -- also purged the user's new one.
        DELETE FROM provenance WHERE run_id LIKE 'forget-%';
        """
    )


@migrations()
def m008_vectors_in_two_parts(db: Database) -> None:
    """One float vec0 table becomes exact float vectors (a plain table) plus a vec0 table of sign
    bits: KNN over 1M records reads 48 MB of bits instead of 1.5 GB of floats (store/vectors.py)."""

    from memcli.store import vectors

    db.execute(vectors.EMBEDDINGS_DDL)
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [vectors.LEGACY]).fetchone():
        return
    try:
        db.execute("SELECT vec_version()")
    except Exception:  # sqlite-vec missing here: the old vectors cannot be read; embedded again later
        db.execute("DELETE FROM meta WHERE key IN ('embed.model', 'embed.dim', 'embed.last_id')")
        return
    row = db.execute("SELECT value FROM meta WHERE key = 'embed.dim'").fetchone()
    dim = int(row[0]) if row else 0
    # The copy is one transaction: once its pages spill from the cache into the WAL, every page
    # read checks a WAL grown by gigabytes and a 1M-vector copy took 10 minutes. A cache holding
    # up to 1 GB of them keeps it to a single read of the old table.
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute("PRAGMA cache_size = -1048576")
    try:
        _copy_vectors(db, dim)
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")


def _copy_vectors(db: Database, dim: int) -> None:
    import base64

    from memcli.store import vectors

    db.execute(f"INSERT INTO {vectors.EMBEDDINGS} (id, embedding) SELECT rowid, embedding FROM {vectors.LEGACY}")
    if vectors.has_signs(dim):
        center = _mean_of_stored(db, dim)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                   [vectors.CENTER, base64.b64encode(center).decode("ascii")])
        db.execute(vectors.SIGNS_DDL.format(table=vectors.TABLE, dim=dim))
        db.execute(f"INSERT INTO {vectors.TABLE} (rowid, signs, type, observed_at) SELECT e.id, "
                   f"vec_quantize_binary(vec_sub(e.embedding, ?)), r.type, r.observed_at "
                   f"FROM {vectors.EMBEDDINGS} e JOIN records r ON r.id = e.id", [center])
    db.execute(f"DROP TABLE {vectors.LEGACY}")


def _mean_of_stored(db: Database, dim: int) -> bytes:
    """The mean of up to 5,000 stored vectors, spread over the ids: the sign bits' centre."""
    import numpy as np

    step = max(1, (db.execute("SELECT max(id) FROM record_embeddings").fetchone()[0] or 0) // 5000)
    blobs = [row[0] for row in db.execute(
        "SELECT embedding FROM record_embeddings WHERE id % ? = 0 LIMIT 5000", [step])]
    if not blobs:
        return bytes(4 * dim)
    return np.mean([np.frombuffer(blob, dtype=np.float32) for blob in blobs], axis=0).astype(np.float32).tobytes()
