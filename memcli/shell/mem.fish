# mem.fish: log each interactive fish command to mem's spool, with shell builtins only.
#
# Sourced from ~/.config/fish/config.fish by `mem hook install fish` (removed by
# `mem hook uninstall fish`). Per command this runs a handful of builtins and appends one line to
# the spool; no process is started. `mem hook ingest` (or any other mem command) turns the spool
# into memories later.
#
# Spool: ${MEM_HOME:-${XDG_DATA_HOME:-~/.local/share}/mem}/spool/shell.spool, one line per command,
# eleven fields separated by TAB, ending in LF:
#   m1  START_US  DURATION_US  EXIT  SHELL  SESSION  SEQ  HOST  TTY  CWD  COMMAND
# START_US is the start time in epoch microseconds (empty when unknown), DURATION_US is in
# microseconds. In CWD and COMMAND a backslash, LF, TAB and CR are written as \\ \n \t \r and every
# other byte as it is (non-UTF-8 too), so one line is one record whatever the command holds.
# fish has no clock builtin: the start time is the boot time (found once, at load) plus
# /proc/uptime read with `read`, minus $CMD_DURATION; without /proc it is left empty.
#
# Never logged: commands starting with a space, private mode (fish --private), and anything while
# the file hook.paused exists (`mem hook pause`). Caveat: fish 3 passes the command to its events
# with leading blanks already trimmed, so a leading space cannot be seen here; use private mode or
# `mem hook pause` in fish (or a `hook.ignore` pattern). Errors are silent: the hook must never get
# in the way of the shell.
#
# Private whatever the umask: the directories this script makes are 0700, the spool 0600. fish's
# umask is a variable of the shell process, so it is set to 077 around each write and put back
# (no process started).

status is-interactive; or return 0     # interactive shells only
set -q __mem_loaded; and return 0      # include guard: load once per shell
set -g __mem_loaded 1

if test -n "$MEM_HOME"
    set -g __mem_dir $MEM_HOME
else if test -n "$XDG_DATA_HOME"
    set -g __mem_dir $XDG_DATA_HOME/mem
else
    set -g __mem_dir $HOME/.local/share/mem
end
set -g __mem_dir (string replace -r '^~' -- $HOME $__mem_dir)
set -g __mem_spool $__mem_dir/spool/shell.spool
set -g __mem_pause $__mem_dir/hook.paused
if not test -d $__mem_dir/spool
    set -l um $umask
    set -g umask 0077
    mkdir -p $__mem_dir/spool 2>/dev/null
    set -g umask $um
end
set -g __mem_tty (tty 2>/dev/null); or set -g __mem_tty ''
set -g __mem_seq 0
set -g __mem_sid $fish_pid-(date +%s 2>/dev/null)-(random)
set -g __mem_boot ''                   # boot time in microseconds
if test -r /proc/uptime; and read -l up _ </proc/uptime
    set __mem_boot (math -s0 (date +%s 2>/dev/null) \* 1000000 - (string replace . '' -- $up) \* 10000 2>/dev/null)
end

function __mem_postexec --on-event fish_postexec
    set -l s $status
    set -l c $argv[1]
    if test -z "$c"; or set -q fish_private_mode[1]; or string match -qr '^\s' -- $c; or test -e $__mem_pause
        return 0
    end
    set -l dur (math -s0 $CMD_DURATION \* 1000)
    set -l start ''
    if test -n "$__mem_boot"; and read -l up _ </proc/uptime
        set start (math -s0 $__mem_boot + (string replace . '' -- $up) \* 10000 - $dur)
    end
    # Backslash first; then LF: command substitution splits on it, and the join puts \n back.
    set c (string replace -a -- '\\' '\\\\' $c | string replace -a -- \t '\t' | string replace -a -- \r '\r')
    set c (string join -- '\n' $c)
    set -l d (string replace -a -- '\\' '\\\\' $PWD | string replace -a -- \t '\t' | string replace -a -- \r '\r')
    set d (string join -- '\n' $d)
    set __mem_seq (math $__mem_seq + 1)
    set -l um $umask
    set -g umask 0077
    begin
        printf 'm1\t%s\t%s\t%s\tfish\t%s\t%s\t%s\t%s\t%s\t%s\n' "$start" $dur $s $__mem_sid $__mem_seq \
            "$hostname" "$__mem_tty" "$d" "$c" >>$__mem_spool
    end 2>/dev/null
    set -g umask $um
    return 0
end
