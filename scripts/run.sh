#!/usr/bin/env bash
# `make run`: start a coordinator on the default FIFOs (jms_in, jms_out in the project
# folder) unless one already serves there, then open an interactive console on it.
# The coordinator outlives the console: leaving the console (^D, exit) leaves jobs
# running; `shutdown` in the console or `make stop` ends it. Its log: jms_coord.log.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs_pool=${JOBS_POOL:-3}
out=${JMS_PATH:-jms_output}
console=(node dist/console/main.js -w jms_in -r jms_out)

if "${console[@]}" show-pools >/dev/null 2>&1; then
  echo "Using the coordinator already serving on jms_in."
else
  # setsid: a ^C typed in the console must not reach the coordinator.
  setsid node dist/coord/main.js -l "$out" -n "$jobs_pool" -w jms_out -r jms_in >>jms_coord.log 2>&1 </dev/null &
  up=0
  for _ in $(seq 1 50); do
    if [ -p jms_in ] && "${console[@]}" show-pools >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
  done
  [ "$up" = 1 ] || { echo "run.sh: the coordinator did not start; see jms_coord.log" >&2; exit 1; }
  echo "Started a coordinator (jobs_pool $jobs_pool, output in $out/, log in jms_coord.log)."
fi

status=0
"${console[@]}" || status=$?
if [ -p jms_in ] && "${console[@]}" show-pools >/dev/null 2>&1; then
  echo "The coordinator keeps running; 'make run' reconnects, 'make stop' shuts it down."
fi
exit "$status"
