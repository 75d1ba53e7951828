# mem.bash: log each interactive bash command to mem's spool, with shell builtins only.
#
# Sourced from ~/.bashrc by `mem hook install bash` (removed by `mem hook uninstall bash`).
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
# Never logged: commands starting with a space, lines bash keeps out of its history (HISTCONTROL,
# HISTIGNORE, `set +o history`), and anything while the file hook.paused exists (`mem hook pause`).
# Errors are silent: the hook must never get in the way of the shell.
#
# Private whatever the umask: the directories this script makes are 0700, its files 0600. A file is
# created in a `(umask 077 ...)` subshell only when it is missing (the spool after each drain), so
# a command costs no process; the user's umask is never changed.

[[ $- == *i* ]] || return 0           # interactive shells only
[[ -z ${__mem_loaded-} ]] || return 0  # include guard: load once per shell
__mem_loaded=1

__mem_dir=${MEM_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mem}
[[ $__mem_dir == "~"* ]] && __mem_dir=$HOME${__mem_dir#"~"}
__mem_spool=$__mem_dir/spool/shell.spool
__mem_pause=$__mem_dir/hook.paused
[[ -d $__mem_dir/spool ]] || (umask 077 && mkdir -p "$__mem_dir/spool") 2>/dev/null
__mem_private_file() { [[ -f $1 ]] || (umask 077 && : >>"$1"); } 2>/dev/null   # $1: a path
# `history 1` is written to a scratch file, read back (no fork) and emptied at once, so the command
# does not stay on disk. Rewriting a file costs ~3 ms on ext4 (it flushes a truncated file's data),
# ~50 us on tmpfs: prefer a private dir on tmpfs.
__mem_last=$__mem_dir/spool/.cmd.$$
for __mem_d in "${XDG_RUNTIME_DIR-}" /dev/shm; do
    [[ -n $__mem_d && -d $__mem_d && -w $__mem_d ]] || continue
    [[ -d $__mem_d/mem-$UID ]] || (umask 077 && mkdir "$__mem_d/mem-$UID") 2>/dev/null
    if [[ -d $__mem_d/mem-$UID && -O $__mem_d/mem-$UID && ! -L $__mem_d/mem-$UID ]]; then
        __mem_last=$__mem_d/mem-$UID/cmd.$$
        break
    fi
done
unset __mem_d
__mem_tty=$(tty 2>/dev/null) || __mem_tty=
printf -v __mem_sid '%s-%(%s)T-%s' "$$" -1 "$RANDOM"
__mem_seq=0 __mem_start= __mem_armed= __mem_cmd= __mem_hist=${HISTCMD-}

if [[ -n ${EPOCHREALTIME-} ]]; then    # bash 5: microseconds; the radix may be a comma
    __mem_now() { __mem_t=${EPOCHREALTIME//[.,]/}; }
else                                   # bash 4.2+: whole seconds
    __mem_now() { printf -v __mem_t '%(%s)T000000' -1; }
fi

# Append one spool line: $1 exit status, $2 the command. Escapes with parameter expansion only.
__mem_emit() {
    local c=$2 d=$PWD
    [[ -n $c && $c != [[:space:]]* && -n $__mem_start && ! -e $__mem_pause ]] || return 0
    __mem_now
    c=${c//\\/\\\\} c=${c//$'\n'/\\n} c=${c//$'\t'/\\t} c=${c//$'\r'/\\r}
    d=${d//\\/\\\\} d=${d//$'\n'/\\n} d=${d//$'\t'/\\t} d=${d//$'\r'/\\r}
    ((++__mem_seq))
    __mem_private_file "$__mem_spool"
    printf 'm1\t%s\t%s\t%s\tbash\t%s\t%s\t%s\t%s\t%s\t%s\n' "$__mem_start" "$((__mem_t - __mem_start))" \
        "$1" "$__mem_sid" "$__mem_seq" "${HOSTNAME-}" "$__mem_tty" "$d" "$c" >>"$__mem_spool"
} 2>/dev/null

if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
    # bash-preexec owns the DEBUG trap and PROMPT_COMMAND: join its arrays instead.
    __mem_bp_preexec() { __mem_cmd=$1; __mem_now; __mem_start=$__mem_t; return 0; }
    __mem_bp_precmd() {
        local s=$?
        __mem_emit "$s" "$__mem_cmd"
        __mem_start= __mem_cmd=
        return $s
    }
    preexec_functions+=(__mem_bp_preexec)
    precmd_functions+=(__mem_bp_precmd)
    return 0
fi

# preexec: the DEBUG trap fires before every simple command. Only the first one after the prompt
# is the user's command; __mem_arm, the last PROMPT_COMMAND entry, marks that moment. The trap is
# given "$_" as its last argument so that $_ is the same after it as before.
__mem_preexec() {
    [[ -n $__mem_armed ]] || return 0
    __mem_armed=
    __mem_now
    __mem_start=$__mem_t
    return 0
}

__mem_arm() { __mem_armed=1; }

# precmd: first PROMPT_COMMAND entry. A new history number means the line went into history; its
# text comes from `history 1`, written to the scratch file, read back with `read` (no subshell) and
# wiped.
__mem_precmd() {
    local s=$? c= IFS=
    if [[ -n $__mem_start && ${HISTCMD-} != "$__mem_hist" ]] && __mem_private_file "$__mem_last" \
        && HISTTIMEFORMAT= builtin history 1 >|"$__mem_last"; then
        read -r -d '' c <"$__mem_last"
        : >|"$__mem_last"
        c=${c%$'\n'} c=${c#"${c%%[! ]*}"} c=${c#*[0-9][ *] }   # drop "  123  " or "  123* "
        __mem_emit "$s" "$c"
    fi
    __mem_hist=${HISTCMD-} __mem_start= __mem_armed=
    [[ ${PROMPT_COMMAND[${#PROMPT_COMMAND[@]}-1]-} == *__mem_arm ]] || __mem_arm_last
    return $s
} 2>/dev/null

__mem_debug_prev() { __mem_prev=${3-}; }   # receives `trap -p DEBUG` split into words
__mem_prev=
eval "__mem_debug_prev $(trap -p DEBUG)" 2>/dev/null
if [[ -n $__mem_prev ]]; then
    trap -- "__mem_preexec \"\$_\"; $__mem_prev" DEBUG
else
    trap -- '__mem_preexec "$_"' DEBUG
fi
unset -f __mem_debug_prev
unset __mem_prev
# Keep __mem_arm the last thing PROMPT_COMMAND runs, also when a tool appends to it after us (an
# earlier copy left in the middle is harmless: the last one arms again).
__mem_arm_last() {
    if (( ${#PROMPT_COMMAND[@]} > 1 )); then    # a bash 5.1 array with several entries
        PROMPT_COMMAND+=(__mem_arm)
    else
        PROMPT_COMMAND=${PROMPT_COMMAND-}$'\n'__mem_arm
    fi
}
# precmd goes first so that it sees the command's exit status: element 0 is the string itself or
# the first entry of an array.
PROMPT_COMMAND=$'__mem_precmd\n'"${PROMPT_COMMAND-}"
__mem_arm_last
