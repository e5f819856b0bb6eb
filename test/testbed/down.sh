#!/usr/bin/env bash
# Tears the JMS test bed down and leaves the machine as it was before up.sh: cancels every Slurm
# job, kills every process of the test bed (each host's and node's namespaces, munged,
# slurmctld, slurmd, sshd, the keeper), deletes the network namespaces, veths and the bridge,
# removes the mount points it created and all its files. Works after a partial or crashed up:
# it finds what to remove by the test bed's fixed names (lib.sh), not only by its state file.
# Exits 1, naming it, when something is left.
# usage: test/testbed/down.sh [--quiet]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
QUIET=0
[[ ${1:-} == --quiet ]] && QUIET=1
say() { [[ $QUIET == 1 ]] || tb_log "$@"; }

cancel_jobs() {
  local conf=$TB_BASE/slurm/slurm.conf pid
  [[ -f $conf && -f $TB_RUN/slurmctld.pid ]] || return 0
  pid=$(cat "$TB_RUN/slurmctld.pid")
  tb_alive "$pid" || return 0
  SLURM_CONF=$conf timeout 5 squeue -h -o %i 2>/dev/null |
    SLURM_CONF=$conf xargs -r timeout 5 scancel 2>/dev/null || true
}

# This process and its ancestors (never killed, whatever their command line).
ancestors() {
  local p=$$ line
  while [[ $p -gt 1 ]]; do
    echo "$p"
    { read -r line <"/proc/$p/stat"; } 2>/dev/null || return 0
    line=${line##*) }
    line=${line#* }
    p=${line%% *}
  done
}

# Every live process of the test bed: in one of its network namespaces; one of the programs
# it runs, using its files; a Slurm client using its slurm.conf; an up.sh body still running
# (from a run whose caller was killed). Never this script, its callers, or other scripts that
# merely name the test bed's paths (another with-testbed.sh waiting for the lock).
testbed_pids() {
  local mine p ns args cmd comm
  mine=" $(ancestors | tr '\n' ' ') $BASHPID "
  local netns=(/run/netns/jms-*)
  [[ -e ${netns[0]} ]] || netns=()
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $mine == *" $p "* ]] && continue
    tb_alive "$p" || continue
    for ns in "${netns[@]}"; do [[ /proc/$p/ns/net -ef $ns ]] && { echo "$p"; continue 2; }; done
    { read -r comm <"/proc/$p/comm" && mapfile -d '' args <"/proc/$p/cmdline"; } 2>/dev/null || continue
    cmd="${args[*]}"
    case $comm in
      sshd | ssh | munged | slurmctld | slurmd | slurmstepd | runuser | unshare | perl | flock | nsenter)
        [[ $cmd == *"$TB_BASE/"* || $cmd == *"$TB_RUN/"* ]] && echo "$p" ;;
      srun | salloc | sbatch | sattach)
        grep -qzx "SLURM_CONF=$TB_BASE/slurm/slurm.conf" "/proc/$p/environ" 2>/dev/null && echo "$p" ;;
      bash)
        [[ $cmd == *"/testbed/up.sh --body" ]] && echo "$p" ;;
    esac
  done
}

# The keeper (keeper.pl), if it is alive: found by its command line, even without its pid file.
keeper_pid() {
  local p args
  for p in /proc/[0-9]*; do
    { mapfile -d '' args <"$p/cmdline"; } 2>/dev/null || continue
    if [[ ${args[1]:-} == */keeper.pl && ${args[2]:-} == "$TB_RUN/keeper.pid" ]] && tb_alive "${p#/proc/}"; then
      echo "${p#/proc/}"
      return 0
    fi
  done
}

# Kills every process of the test bed but the keeper, which reaps them and then ends by itself
# (killing it first would leave them all as zombies of this machine's PID 1).
kill_all() {
  local i pids keeper
  keeper=$(keeper_pid)
  for ((i = 0; i < 100; i++)); do
    pids=$(testbed_pids | grep -vx "${keeper:-none}" || true)
    [[ -z $pids ]] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.05
  done
  [[ -z $pids ]] || say "processes still alive: ${pids//$'\n'/ }"
  [[ -n $keeper ]] || return 0
  for ((i = 0; i < 60; i++)); do
    tb_alive "$keeper" || return 0
    sleep 0.05
  done
  kill -KILL "$keeper" 2>/dev/null || true
}

remove_network() {
  local ns link
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^jms-/ {print $1}'); do ip netns del "$ns" || true; done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^jv-' || true); do
    ip link del "$link" 2>/dev/null || true
  done
  ip link show "$TB_BRIDGE" >/dev/null 2>&1 && ip link del "$TB_BRIDGE"
  return 0
}

restore_files() {
  local policy=/usr/sbin/policy-rc.d p
  if [[ -f $TB_BASE/policy-rc.d.saved ]]; then
    mv -f "$TB_BASE/policy-rc.d.saved" "$policy"
  elif grep -q 'JMS test bed' "$policy" 2>/dev/null; then
    rm -f "$policy"
  fi
  if [[ -f $TB_BASE/created ]]; then
    # Newest first; only empty directories (a test may have left files: they stay).
    tac "$TB_BASE/created" | while read -r p; do
      case $p in
        "umount "*) [[ -n $(ls -A "${p#umount }" 2>/dev/null) ]] || umount "${p#umount }" 2>/dev/null || true ;;
        *) rmdir "$p" 2>/dev/null || true ;;
      esac
    done
  fi
  rm -rf "$TB_BASE" "$TB_RUN"
  rm -f "$TB_STATE" "$TB_STATE.tmp" "$(dirname "$TB_STATE")"/hold-*.lock
}

# What is left of the test bed, or nothing.
leftovers() {
  local p
  p=$(testbed_pids | tr '\n' ' ')
  [[ -z $p ]] || echo "processes: $p"
  ip netns list 2>/dev/null | grep -q '^jms-' && echo "netns: $(ip netns list | grep '^jms-' | tr '\n' ' ')"
  ip -o link show 2>/dev/null | grep -qE ": (jv-|$TB_BRIDGE)" && echo "links: $(ip -o link show | grep -oE "(jv-[^:@]*|$TB_BRIDGE)" | tr '\n' ' ')"
  grep -qE "jms-testbed|/run/netns/jms-" /proc/self/mountinfo && echo "mounts: $(grep -E "jms-testbed|/run/netns/jms-" /proc/self/mountinfo | awk '{print $5}' | tr '\n' ' ')"
  [[ ! -e $TB_BASE && ! -e $TB_RUN ]] || echo "files: $TB_BASE $TB_RUN"
  return 0
}

main() {
  if [[ $EUID -ne 0 ]]; then
    say "not root: no test bed to take down"
    exit 0
  fi
  tb_lock
  local t0 left
  t0=$(date +%s%N)
  cancel_jobs
  kill_all
  remove_network
  restore_files
  left=$(leftovers)
  if [[ -n $left ]]; then
    tb_log "down.sh left: ${left//$'\n'/; }"
    exit 1
  fi
  say "down in $((($(date +%s%N) - t0) / 1000000)) ms"
}
main
