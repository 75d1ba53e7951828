"""Per-command cost of mem's shell hook, in real interactive shells on a pty.

    python bench/shell_hook.py [--commands 400] [--rounds 3] [--shells bash,zsh,fish]

For each installed shell: type N trivial commands (`:` / `true`) into an interactive shell, once
with a bare rc file and once with the hook sourced, and report the median wall time per command
and the difference (the hook's overhead; goal <= 2 ms). Also: shell start-up with the rc line that
sources the script vs `eval "$(mem hook print bash)"`, and drain throughput of `mem hook ingest`.
Uses a temporary HOME and MEM_HOME; nothing of yours is touched.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "memcli" / "shell"
ARGV = {"bash": ["bash", "-i"], "zsh": ["zsh", "-i"], "fish": ["fish", "-i"]}
RC = {"bash": ".bashrc", "zsh": ".zshrc", "fish": ".config/fish/config.fish"}
PROMPT = {"bash": "PS1='$ '\nHISTFILE=/dev/null\n", "zsh": "PS1='$ '\n",
          "fish": "function fish_prompt; echo -n '$ '; end\nfunction fish_greeting; end\n"}
NOOP = {"bash": b":", "zsh": b":", "fish": b"true"}
DONE = {"bash": b" echo DONE_$((40+2))", "zsh": b" echo DONE_$((40+2))", "fish": b" echo DONE_(math 40 + 2)"}


def mem_command() -> list[str]:
    script = Path(sys.executable).with_name("mem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "memcli"]


def session_time(shell: str, home: Path, env: dict[str, str], commands: int) -> float:
    """Seconds from the first typed command to the output of the last one."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(home)
        os.execvpe(ARGV[shell][0], ARGV[shell], env)
    out = bytearray()

    def wait_for(token: bytes, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while token not in out:
            if time.monotonic() > end:
                raise RuntimeError(f"{shell}: timed out waiting for {token!r}: {bytes(out[-500:])!r}")
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out.extend(os.read(fd, 65536))
                except OSError:
                    raise RuntimeError(f"{shell} exited: {bytes(out[-500:])!r}")

    os.write(fd, b" echo READY_$((1+1))\r" if shell != "fish" else b" echo READY_(math 1 + 1)\r")
    wait_for(b"READY_2")
    out.clear()
    payload = (NOOP[shell] + b"\r") * commands + DONE[shell] + b"\r"
    start = time.perf_counter()
    writer = threading.Thread(target=lambda: os.write(fd, payload) and None)
    writer.start()  # a large typeahead blocks on the pty buffer; the shell drains it as it runs
    wait_for(b"DONE_42")
    elapsed = time.perf_counter() - start
    writer.join()
    os.write(fd, b"exit\r")
    try:
        os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return elapsed


def measure(shell: str, commands: int, rounds: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        home, mem_home = Path(tmp) / "home", Path(tmp) / "mem"
        rc = home / RC[shell]
        rc.parent.mkdir(parents=True)
        env = {"HOME": str(home), "MEM_HOME": str(mem_home), "PATH": os.environ["PATH"], "TERM": "dumb",
               "LANG": "C.UTF-8", "XDG_CONFIG_HOME": str(home / ".config")}
        bare, hooked = [], []
        for _ in range(rounds):
            rc.write_text(PROMPT[shell])
            bare.append(session_time(shell, home, env, commands))
            rc.write_text(PROMPT[shell] + f". {SCRIPTS / ('mem.' + shell)}\n")
            hooked.append(session_time(shell, home, env, commands))
        spool = mem_home / "spool" / "shell.spool"
        lines = len(spool.read_bytes().splitlines()) if spool.exists() else 0
        return statistics.median(bare) * 1000 / commands, statistics.median(hooked) * 1000 / commands, lines


def startup(rounds: int) -> dict[str, float]:
    """Wall time of `bash -i -c exit` with the sourcing line vs the eval line."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "MEM_HOME": str(Path(tmp) / "mem")}
        mem = " ".join(mem_command())
        for label, line in (("none", ""), ("source file", f". {SCRIPTS / 'mem.bash'}"),
                            ("eval $(mem hook print bash)", f'eval "$({mem} hook print bash)"')):
            Path(tmp, ".bashrc").write_text(line + "\n")
            samples = []
            for _ in range(rounds):
                start = time.perf_counter()
                subprocess.run(["bash", "-i", "-c", "exit"], env=env, capture_output=True)
                samples.append((time.perf_counter() - start) * 1000)
            results[label] = statistics.median(samples)
    return results


def drain_rate(lines: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEM_HOME": tmp}
        subprocess.run(mem_command() + ["stats"], env=env, capture_output=True, check=True)
        spool = Path(tmp) / "spool"
        spool.mkdir(exist_ok=True)
        with open(spool / "shell.spool", "wb") as fh:
            for i in range(lines):
                fh.write(f"m1\t{1_700_000_000_000_000 + i}\t1200\t0\tbash\tbench\t{i}\thost\t/dev/pts/0\t/tmp\t"
                         f"git commit -m 'change number {i}'\n".encode())
        start = time.perf_counter()
        subprocess.run(mem_command() + ["hook", "ingest"], env=env, capture_output=True, check=True)
        return lines / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shells", default="bash,zsh,fish")
    parser.add_argument("--drain-lines", type=int, default=20000)
    args = parser.parse_args()
    print(f"{'shell':6} {'bare ms/cmd':>12} {'hook ms/cmd':>12} {'overhead ms':>12} {'spooled':>8}")
    for shell in args.shells.split(","):
        if not shutil.which(shell):
            print(f"{shell:6} not installed")
            continue
        bare, hooked, lines = measure(shell, args.commands, args.rounds)
        print(f"{shell:6} {bare:12.3f} {hooked:12.3f} {hooked - bare:12.3f} {lines:8d}")
    if shutil.which("bash"):
        for label, ms in startup(max(5, args.rounds)).items():
            print(f"bash start-up, rc {label:28}: {ms:7.1f} ms")
    print(f"drain: {drain_rate(args.drain_lines):,.0f} lines/s ({args.drain_lines} lines, one `mem hook ingest`)")


if __name__ == "__main__":
    main()
