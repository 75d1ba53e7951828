# mem.zsh: log each interactive zsh command to mem's spool, with shell builtins only.
#
# Sourced from ~/.zshrc by `mem hook install zsh` (removed by `mem hook uninstall zsh`).
# Per command this runs a handful of builtins and appends one line to the spool; no process is
# started. `mem hook ingest` (or any other mem command) turns the spool into memories later.
#
# Spool: ${MEM_HOME:-${XDG_DATA_HOME:-~/.local/share}/mem}/spool/shell.spool, one line per command,
# eleven fields separated by TAB, ending in LF:
#   m1  START_US  DURATION_US  EXIT  SHELL  SESSION  SEQ  HOST  TTY  CWD  COMMAND
# START_US is the start time in epoch microseconds (empty when unknown), DURATION_US is in
# microseconds. In CWD and COMMAND a backslash, LF, TAB and CR are written as \\ \n \t \r and every
# other byte as it is (non-UTF-8 too), so one line is one record whatever the command holds.
#
# Never logged: commands starting with a space, and anything while the file hook.paused exists
# (`mem hook pause`). Errors are silent: the hook must never get in the way of the shell.
#
# Private whatever the umask: the directories this script makes are 0700 and the spool is opened
# with `sysopen -m 600` (zsh/system), so it is 0600 when created; without that module the spool is
# created in a `(umask 077 ...)` subshell when it is missing. The user's umask is never changed.

[[ -o interactive ]] || return 0       # interactive shells only
(( ${+__mem_loaded} )) && return 0      # include guard: load once per shell
typeset -g __mem_loaded=1

typeset -g __mem_dir=${MEM_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mem}
[[ $__mem_dir == "~"* ]] && __mem_dir=$HOME${__mem_dir#"~"}
typeset -g __mem_spool=$__mem_dir/spool/shell.spool __mem_pause=$__mem_dir/hook.paused
[[ -d $__mem_dir/spool ]] || (umask 077 && mkdir -p $__mem_dir/spool) 2>/dev/null
zmodload zsh/datetime 2>/dev/null || return 0   # $epochtime: (seconds nanoseconds)
typeset -gi __mem_sysopen=0
zmodload -F zsh/system b:sysopen 2>/dev/null && __mem_sysopen=1
typeset -g __mem_sid="$$-$epochtime[1]-$RANDOM" __mem_cmd= __mem_start=
typeset -gi __mem_seq=0

__mem_preexec() {
    emulate -L zsh
    __mem_cmd=$1                        # the line as typed
    (( __mem_start = epochtime[1] * 1000000 + epochtime[2] / 1000 ))
    return 0
}

__mem_precmd() {
    local -i s=$? t
    emulate -L zsh                      # the user's options (NO_CLOBBER, KSH_ARRAYS...) stay out
    local c=$__mem_cmd d=$PWD fd
    if [[ -n $c && $c != [[:space:]]* && -n $__mem_start && ! -e $__mem_pause ]]; then
        (( t = epochtime[1] * 1000000 + epochtime[2] / 1000 - __mem_start ))
        c=${c//\\/\\\\} c=${c//$'\n'/\\n} c=${c//$'\t'/\\t} c=${c//$'\r'/\\r}
        d=${d//\\/\\\\} d=${d//$'\n'/\\n} d=${d//$'\t'/\\t} d=${d//$'\r'/\\r}
        (( ++__mem_seq ))
        if (( __mem_sysopen )); then
            sysopen -a -m 600 -o cloexec,creat -u fd $__mem_spool || fd=
        else
            [[ -f $__mem_spool ]] || (umask 077 && : >>$__mem_spool)
            exec {fd}>>$__mem_spool || fd=
        fi
        if [[ -n $fd ]]; then
            printf 'm1\t%s\t%s\t%s\tzsh\t%s\t%s\t%s\t%s\t%s\t%s\n' $__mem_start $t $s $__mem_sid $__mem_seq \
                "${HOST-}" "${TTY-}" "$d" "$c" >&$fd
            exec {fd}>&-
        fi
    fi
    __mem_cmd= __mem_start=
    return s
} 2>/dev/null

autoload -Uz add-zsh-hook 2>/dev/null && {
    add-zsh-hook preexec __mem_preexec
    # precmd first, so that it sees the command's exit status before other hooks change it.
    precmd_functions=(__mem_precmd ${precmd_functions:#__mem_precmd})
}
