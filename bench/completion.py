"""Wall time of one TAB press in each installed shell (median of N runs).

    python bench/completion.py [--runs 10] [--scripts DIR]

Each sample is a fresh shell that loads mem's completion script and asks for the candidates of a
few command lines (a command name, an option value, a subcommand), so the figure includes what a
user waits for: the shell plus every `mem` process the script starts. The shell's own start-up
is measured alone and printed too. The scripts come from `mem completion show SHELL`, or from
--scripts DIR (mem.bash, _mem or mem.zsh, mem.fish) to compare other versions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINES = ["mem ", "mem se", "mem list --type ", "mem hook install ", "mem config set llm."]


def bash_probe(script: Path, line: str) -> list[str]:
    words = line.split(" ")
    words_expr = " ".join(f"'{w}'" for w in words)
    return ["bash", "--norc", "--noprofile", "-c",
            f"source {script}; COMP_WORDS=({words_expr}); COMP_CWORD={len(words) - 1}; "
            f"_mem_completion mem '{words[-1]}' '{words[-2]}'; printf '%s\\n' \"${{COMPREPLY[@]}}\""]


def fish_probe(script: Path, line: str) -> list[str]:
    return ["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"]


def zsh_probe(script: Path, line: str) -> list[str]:
    # zsh completes only inside its line editor: a pseudo-terminal would be needed for a real TAB.
    # This calls what the script's function calls, which is the cost that matters.
    return ["zsh", "-f", "-c", f"env _TYPER_COMPLETE_ARGS='{line}' _MEM_COMPLETE=complete_zsh mem >/dev/null"]


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def scripts(given: str | None, env: dict[str, str], home: Path) -> dict[str, Path]:
    found = {}
    for shell, names in {"bash": ["mem.bash"], "zsh": ["_mem", "mem.zsh"], "fish": ["mem.fish"]}.items():
        if given:
            path = next((Path(given) / n for n in names if (Path(given) / n).exists()), None)
        else:
            path = home / names[0]
            done = subprocess.run(["mem", "completion", "show", shell], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                continue
            path.write_text(done.stdout)
        if path:
            found[shell] = path
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--scripts", help="directory with the scripts to time (default: mem completion show)")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEM_HOME": tmp, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("MEM_DB", None)
        probes = {"bash": bash_probe, "fish": fish_probe, "zsh": zsh_probe}
        for shell, script in scripts(args.scripts, env, Path(tmp)).items():
            if shutil.which(shell) is None:
                continue
            floor = timed([shell, "-c", "true"], env, args.runs)
            print(f"{shell}: shell start-up {floor:.0f} ms")
            for line in LINES:
                ms = timed(probes[shell](script, line), env, args.runs)
                print(f"  {line!r:28} {ms:6.0f} ms")


if __name__ == "__main__":
    main()
