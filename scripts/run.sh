#!/usr/bin/env bash
# `make run`: start a coordinator on the default FIFOs (the per-user directory: $JMS_DIR, else
# $XDG_RUNTIME_DIR/jms, else ~/.jms) unless one already serves there, then open an interactive
# console on it. The coordinator outlives the console: leaving the console (^D, exit) leaves
# jobs running; `shutdown` in the console or `make stop` ends it. Its log: jms_coord.log in the
# project folder, and its job output under JMS_PATH (default jms_output/ there).
#
#   scripts/run.sh          start (if needed) and open a console; JOBS_POOL and JMS_PATH are the
#                           new coordinator's -n and -l; a coordinator already running keeps its
#                           own, and the script says which they are
#   scripts/run.sh stop     shut the coordinator down; with none running, say so (exit 0)
set -euo pipefail
cd "$(dirname "$0")/.."

console=(node dist/jms_console.cjs)

running() {
  "${console[@]}" show-coordinator >/dev/null 2>&1
}

# The value of one `Field: value` line of show-coordinator.
setting() {
  "${console[@]}" show-coordinator | sed -n "s/^$1: //p"
}

if [[ ${1:-} == stop ]]; then
  if running; then
    exec "${console[@]}" shutdown
  fi
  echo "No coordinator is running for $(id -un) on the default FIFOs; there is nothing to stop."
  exit 0
fi

jobs_pool=${JOBS_POOL:-}
out=${JMS_PATH:-}

if running; then
  pid=$(setting 'Coordinator' | sed 's/^pid //')
  have_pool=$(setting 'Jobs per pool')
  have_out=$(setting 'Output directory')
  echo "Using the coordinator already running (pid $pid, jobs_pool $have_pool, output in $have_out)."
  ignored=()
  [[ -z $jobs_pool || $jobs_pool == "$have_pool" ]] || ignored+=("JOBS_POOL=$jobs_pool")
  [[ -z $out || $(realpath -m -- "$out") == "$have_out" ]] || ignored+=("JMS_PATH=$out")
  if ((${#ignored[@]} > 0)); then
    echo "Its settings stay: ${ignored[*]} not applied; 'make stop' and then 'make run ${ignored[*]}' would apply them."
  fi
else
  # setsid: a ^C typed in the console must not reach the coordinator.
  setsid node dist/coord/main.js -l "${out:-jms_output}" -n "${jobs_pool:-3}" >>jms_coord.log 2>&1 </dev/null &
  coord=$!
  up=0
  for _ in $(seq 1 100); do
    if running; then up=1; break; fi
    kill -0 "$coord" 2>/dev/null || break
    sleep 0.1
  done
  if [[ $up != 1 ]]; then
    echo "run.sh: error: the coordinator did not start ($(tail -n 1 jms_coord.log)); jms_coord.log has its whole log." >&2
    exit 1
  fi
  echo "Started a coordinator (jobs_pool ${jobs_pool:-3}, output in ${out:-jms_output}/, log in jms_coord.log)."
fi

status=0
"${console[@]}" || status=$?
if running; then
  echo "The coordinator keeps running; 'make run' reconnects, 'make stop' shuts it down."
fi
exit "$status"
