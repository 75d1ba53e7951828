"""Cost of `memcli.redact.redact` per line (the shell hook's drain runs it on every command).

    python bench/redact.py [--rounds 20] [--size 20000]

Prints µs/line (best of 5) for the secret corpus and the harmless commands in tests/fixtures/, then
the time for hostile inputs of --size characters (long runs that a careless pattern would scan
quadratically): each should grow in proportion to the size, not its square.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memcli.redact import SECRETS, redact  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def per_line_us(texts: list[str], rounds: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for text in texts:
                redact(text)
        best = min(best, (time.perf_counter() - start) * 1e6 / (rounds * len(texts)))
    return best


def hostile(size: int) -> dict[str, str]:
    return {
        "one long word": "a" * size,
        "base64 blob": "QUJD" * (size // 4),
        "password_password_...": "password_" * (size // 9),
        "TOKEN_a_a_a...": "TOKEN" + "_a" * (size // 2),
        "--a---a-...": "--a-" * (size // 4),
        "curl -u -u -u ...": "curl " + "-u " * (size // 3),
        "htpasswd -b a a a ...": "htpasswd -b " + "a " * (size // 2),
        "machine login login ...": "machine a " + "login b " * (size // 8),
        "http://a:@@@...": "http://a:" + "@" * size,
        "many lines": "export X=1\n" * (size // 11),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--size", type=int, default=20000)
    args = parser.parse_args()
    corpus = [json.loads(row)["text"] for row in (FIXTURES / "secrets_corpus.jsonl").read_text().splitlines()]
    harmless = [json.loads(row)["text"] for row in (FIXTURES / "harmless_commands.jsonl").read_text().splitlines()]
    print(f"{len(SECRETS)} patterns")
    print(f"secret corpus   ({len(corpus):4d} lines): {per_line_us(corpus, args.rounds):7.1f} µs/line")
    print(f"harmless        ({len(harmless):4d} lines): {per_line_us(harmless, args.rounds):7.1f} µs/line")
    for name, text in hostile(args.size).items():
        start = time.perf_counter()
        redact(text)
        print(f"hostile {name:26} ({len(text)} chars): {(time.perf_counter() - start) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
