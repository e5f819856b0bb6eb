#!/usr/bin/env bash
# Runs a command with the test bed up (make test: the suites): takes the machine-wide lock so
# two runs never share or tear down each other's test bed, runs up.sh, the command, then
# down.sh whatever the command did (also after Ctrl-C), and exits with the command's status;
# when the command passed but up.sh or down.sh failed, with theirs.
# usage: test/testbed/with-testbed.sh COMMAND ARGV...
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -gt 0 ]] || { echo "usage: with-testbed.sh COMMAND ARGV..." >&2; exit 2; }

if [[ $EUID -eq 0 ]]; then
  tb_lock
  export JMS_TESTBED_LOCKED=1
fi
# Ctrl-C ends up.sh or the command (not ignored: they must get it); this script goes on to down.sh.
trap 'tb_log "interrupted: taking the test bed down"' INT TERM
"$TB_HERE/up.sh" 9>&-
up_rc=$?
"$@" 9>&-
rc=$?
trap - INT TERM
"$TB_HERE/down.sh" 9>&-
down_rc=$?
[[ $up_rc -eq 0 ]] || tb_log "up.sh failed (exit $up_rc)"
[[ $down_rc -eq 0 ]] || tb_log "down.sh failed (exit $down_rc)"
if [[ $rc -ne 0 ]]; then exit "$rc"; fi
if [[ $up_rc -ne 0 ]]; then exit "$up_rc"; fi
exit "$down_rc"
