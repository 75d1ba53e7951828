"""`mem completion install|show`, and the shell completion scripts' Python side.

The scripts (shipped in memcli/cli/completions/, written by completions/generate.py) run `mem`
with _MEM_COMPLETE set at each TAB, so commands, plugin commands and option values always match
the installed mem. One `mem` process per TAB in every shell: typer's fish script started two
(one to ask whether there are candidates, one to list them), and its fish and zsh classes import
rich to clean each candidate's help, which mem's plain help does not need.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from memcli.cli import common

app, completion_app = common.command_group(
    "completion",
    "Tab completion for bash, zsh and fish: install it, or print the script.\n\n"
    "Example: mem completion install",
)

from memcli.shell.install import SHELLS
SCRIPTS = Path(__file__).resolve().parent / "completions"

# At each TAB the shell runs `mem` once; candidates come back one a line ("value<TAB>help" for fish).
# An empty answer leaves the shell's own file completion in place.
FISH_SCRIPT = """\
function __mem_complete
    set -l found (env %(autocomplete_var)s=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args \
_TYPER_COMPLETE_ARGS=(commandline -cp) %(prog_name)s 2>/dev/null | string match -rv '^$')
    if set -q found[1]
        printf '%%s\\n' $found
    else
        __fish_complete_path (commandline -ct)
    end
end
complete --command %(prog_name)s --no-files --arguments '(__mem_complete)'
"""

# Sourced from ~/.zshrc (after compinit) or autoloaded from a directory on $fpath as `_mem`.
ZSH_SCRIPT = """\
#compdef %(prog_name)s
%(complete_func)s() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(autocomplete_var)s=complete_zsh %(prog_name)s)
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  %(complete_func)s "$@"
else
  compdef %(complete_func)s %(prog_name)s
fi
"""

ShellChoice = Annotated[str, typer.Argument(metavar=common.choices(SHELLS), help="The shell.",
                                            autocompletion=lambda: list(SHELLS))]


def register() -> None:
    """Make typer's completion classes, with mem's fish and zsh scripts, answer _MEM_COMPLETE."""
    import typer._completion_classes as classes
    from typer._click.shell_completion import add_completion_class

    class Fish(classes.FishComplete):
        source_template = FISH_SCRIPT

    class Zsh(classes.ZshComplete):
        source_template = ZSH_SCRIPT

    # typer renders each candidate's help as rich markup (~100 ms of imports a TAB); mem's help is
    # plain text (rich_markup_mode=None), so it goes out as it is.
    classes._sanitize_help_text = lambda text: text
    classes.completion_init()
    add_completion_class(Fish, "fish")
    add_completion_class(Zsh, "zsh")


def script(shell: str) -> str:
    """The completion script shipped with mem for `shell`."""
    return (SCRIPTS / f"mem.{_check(shell)}").read_text(encoding="utf-8")


def _check(shell: str) -> str:
    from memcli.shell.install import check_shell

    return check_shell(shell)


def _detect() -> str:
    from memcli.shell.install import detect_shell

    return detect_shell("mem completion install")


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def target(shell: str) -> Path:
    """Where each shell looks for a user's completions: bash-completion's user directory, a
    directory for zsh's $fpath, fish's completions directory."""
    if shell == "bash":
        user_dir = os.environ.get("BASH_COMPLETION_USER_DIR")
        base = Path(user_dir) if user_dir else _xdg("XDG_DATA_HOME", ".local/share") / "bash-completion"
        return base / "completions" / "mem"
    if shell == "zsh":
        return _xdg("XDG_DATA_HOME", ".local/share") / "zsh" / "site-functions" / "_mem"
    return _xdg("XDG_CONFIG_HOME", ".config") / "fish" / "completions" / "mem.fish"


def hint(shell: str, path: Path) -> str | None:
    """What else the shell needs to load the file, or None when nothing."""
    if shell == "bash":
        if any(Path(p).exists() for p in ("/usr/share/bash-completion/bash_completion",
                                          "/etc/bash_completion", "/opt/homebrew/etc/profile.d/bash_completion.sh",
                                          "/usr/local/etc/profile.d/bash_completion.sh")):
            return None
        return f"bash-completion is not installed: install it, or add to ~/.bashrc: source {path}"
    if shell == "zsh":
        rc = Path(os.environ.get("ZDOTDIR") or Path.home()) / ".zshrc"
        try:
            told = str(path.parent) in rc.read_text(encoding="utf-8", errors="replace").replace("~", str(Path.home()))
        except OSError:
            told = False
        if told:
            return None
        shown = str(path.parent).replace(str(Path.home()), "~", 1)
        return f"add to ~/.zshrc, before compinit: fpath=({shown} $fpath)"
    return None


@completion_app.command("install")
def install(
    shell: Annotated[Optional[str], typer.Argument(metavar="[bash|zsh|fish]", help="The shell; default: the one in $SHELL.",
                                                   autocompletion=lambda: list(SHELLS))] = None,
    json_: common.JsonFlag = False,
) -> None:
    """Write the completion script where the shell finds it: bash-completion's user directory,
    a directory for zsh's $fpath (with the line to add to ~/.zshrc), or fish's completions
    directory. Idempotent; new shells complete mem.

    Example: mem completion install zsh
    """
    name = _check(shell) if shell else _detect()
    path = target(name)
    text = script(name)
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    action = "unchanged" if before == text else "updated" if before is not None else "installed"
    if action != "unchanged":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    extra = hint(name, path)
    if json_:
        common.emit_json({"shell": name, "path": str(path), "action": action, "hint": extra})
        return
    print(f"{name}: completion {'already installed' if action == 'unchanged' else action} in {path}; "
          "it starts in new shells")
    if extra:
        print(f"Note: {extra}")


@completion_app.command("show")
def show(shell: ShellChoice) -> None:
    """Print the completion script (to read it, or to load it yourself, e.g. from ~/.bashrc:
    eval "$(mem completion show bash)").

    Example: mem completion show fish > ~/.config/fish/completions/mem.fish
    """
    print(script(shell), end="")
