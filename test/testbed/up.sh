#!/usr/bin/env bash
# Brings the JMS test bed up: a bridge jms-br0 (10.231.0.1/24), three SSH test hosts h1..h3 and
# a Slurm cluster (slurmctld here, the "login node"; slurmd nodes n1, n2), each host and node in
# its own network, UTS, mount and PID namespaces; then writes the state file that
# test/helpers/testbed.ts reads ($JMS_TESTBED, default /run/jms-testbed/testbed.json).
# Idempotent: it first tears down whatever a crashed run left (down.sh). Installs the Debian
# packages it lacks. A part that cannot come up (not root, no namespaces, an install that
# failed) is written into the state file as { "unavailable": "<reason>" } and up.sh still
# exits 0, so the suites skip that part loudly; a bug of up.sh itself exits non-zero.
# usage: test/testbed/up.sh            (as root; test/testbed/down.sh undoes it)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$TB_HERE/install.sh"
source "$TB_HERE/up-boxes.sh"
source "$TB_HERE/up-ssh.sh"
source "$TB_HERE/up-slurm.sh"
source "$TB_HERE/state.sh"

# Why the test bed cannot come up at all here, or nothing.
preflight() {
  if [[ $EUID -ne 0 ]]; then
    echo "not root (uid $EUID): the test bed needs root for network namespaces, sshd and Slurm"
    return
  fi
  local c
  for c in ip unshare nsenter setsid flock perl runuser; do
    command -v "$c" >/dev/null || { echo "$c is missing (iproute2/util-linux/perl)"; return; }
  done
  local err
  if ! err=$(unshare --net --uts --mount --pid --fork --mount-proc true 2>&1); then
    echo "cannot create namespaces (unshare --net --uts --mount --pid: ${err:-failed})"
  fi
}

# The outer call: clean up a crashed run, then run the body under the keeper (keeper.pl).
outer() {
  local why
  why=$(preflight)
  if [[ -n $why ]]; then
    tb_log "unavailable: $why"
    write_unavailable "$why" 2>/dev/null || tb_log "cannot write $TB_STATE"
    exit 0
  fi
  tb_lock
  JMS_TESTBED_LOCKED=1 "$TB_HERE/down.sh" --quiet
  mkdir -p "$TB_BASE" "$TB_RUN" "$(dirname "$TB_STATE")"
  chmod 755 "$TB_BASE" "$TB_RUN"
  tb_unlock
  exec 9>&-
  exec perl "$TB_HERE/keeper.pl" "$TB_RUN/keeper.pid" "$TB_BASE/keeper.log" -- \
    bash "${BASH_SOURCE[0]}" --body
}

# Runs one part in a subshell with set -e in force; on failure records why in $TB_RUN/PART.why
# (the part's own reason if it wrote one, else the last lines it printed on stderr).
part() {
  local name=$1 rc err=$TB_RUN/$1.err
  shift
  set +e
  ( set -e; "$@" ) 2>"$err"
  rc=$?
  set -e
  cat "$err" >&2
  if [[ $rc -ne 0 && ! -s $TB_RUN/$name.why ]]; then
    printf 'up.sh: setting up %s failed (exit %s): %s\n' "$name" "$rc" \
      "$(tail -n 3 "$err" | tr '\n' ' ')" >"$TB_RUN/$name.why"
  fi
  [[ ! -s $TB_RUN/$name.why ]] || tb_log "$name unavailable: $(cat "$TB_RUN/$name.why")"
}

body() {
  local t0
  t0=$(date +%s%N)
  install_packages
  part network setup_network
  if [[ -s $TB_RUN/network.why ]]; then
    cp "$TB_RUN/network.why" "$TB_RUN/ssh.why"
    cp "$TB_RUN/network.why" "$TB_RUN/slurm.why"
  fi
  [[ -s $TB_RUN/ssh.why ]] || part ssh setup_ssh_hosts
  [[ -s $TB_RUN/slurm.why ]] || part slurm setup_slurm
  write_state
  tb_log "up in $((($(date +%s%N) - t0) / 1000000)) ms; state in $TB_STATE"
}

if [[ ${1:-} == --body ]]; then body; else outer; fi
