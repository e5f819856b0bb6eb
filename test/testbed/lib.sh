# Names, addresses and paths of the JMS test bed, shared by up.sh and down.sh (sourced, bash).
# Everything here is fixed: there is one test bed per machine, and down.sh finds a crashed
# run's leftovers by these names alone.

TB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_BASE=/var/lib/jms-testbed           # keys, configs, logs, per-host disks; removed by down.sh
TB_RUN=/run/jms-testbed                # pids, munge socket, the state file
TB_STATE=${JMS_TESTBED:-$TB_RUN/testbed.json}
TB_LOCK=/run/lock/jms-testbed.lock     # one up/down (or one make test) at a time
TB_BRIDGE=jms-br0
TB_NET=10.231.0                        # a private test range; nothing is routed anywhere else
TB_GW=$TB_NET.1                        # the bridge: the coordinator's machine and Slurm's login node
TB_PREFIX=24
TB_HOSTS=(h1 h2 h3)                    # SSH test hosts
TB_NODES=(n1 n2)                       # Slurm nodes
declare -A TB_ADDR=([h1]=$TB_NET.11 [h2]=$TB_NET.12 [h3]=$TB_NET.13 [n1]=$TB_NET.21 [n2]=$TB_NET.22)
declare -A TB_FEATURES=([n1]=big,tagA [n2]=small)
TB_NODE_CPUS=4
TB_PARTITION=debug
TB_SLURMD_TIMEOUT=5                    # seconds until a silent node is marked DOWN
TB_MOUNTPOINTS=(/srv/jms /scratch/jms /root/.cache)   # created on the root fs when missing
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

tb_netns() { echo "jms-$1"; }          # the network namespace of a host or node
tb_veth() { echo "jv-$1"; }            # its veth's end on the bridge (the host's end is eth0)
tb_log() { printf 'testbed: %s\n' "$*" >&2; }

# Takes the machine-wide lock unless a caller (with-testbed.sh) already holds it.
tb_lock() {
  [[ ${JMS_TESTBED_LOCKED:-} == 1 ]] && return 0
  exec 9>>"$TB_LOCK" || return 0
  if ! flock -n 9; then
    tb_log "waiting for $TB_LOCK (another test bed up/down or make test is running)"
    flock -w 900 9 || { tb_log "gave up waiting for $TB_LOCK"; exit 1; }
  fi
}
tb_unlock() { [[ ${JMS_TESTBED_LOCKED:-} == 1 ]] || exec 9>&-; }

# Whether a process is alive: its /proc state is not Z (PID 1 here does not reap orphans).
tb_alive() {
  local line st
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  st=${line##*) }
  st=${st%% *}
  [[ -n $st && $st != Z && $st != X ]]
}
