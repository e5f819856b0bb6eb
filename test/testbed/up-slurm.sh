# The Slurm cluster (sourced by up.sh): munged and slurmctld here (the "login node", where srun
# runs), and one slurmd per node n1, n2 in its own namespaces, with a partition "debug".
# slurm.conf is the test bed's own ($TB_BASE/slurm/slurm.conf): every Slurm command needs
# SLURM_CONF set to it (the state file says so; /etc/slurm is not touched).

TB_SLURM=$TB_BASE/slurm
TB_MUNGE=$TB_BASE/munge
TB_MUNGE_SOCKET=$TB_RUN/munge/munge.socket.2

start_munge() {
  mkdir -p "$TB_MUNGE" "$TB_RUN/munge"
  chown munge:munge "$TB_MUNGE" "$TB_RUN/munge"
  chmod 700 "$TB_MUNGE"
  chmod 755 "$TB_RUN/munge"
  mungekey --create --keyfile="$TB_MUNGE/munge.key" --force
  chown munge:munge "$TB_MUNGE/munge.key"
  chmod 600 "$TB_MUNGE/munge.key"
  setsid runuser -u munge -- munged --foreground --key-file="$TB_MUNGE/munge.key" \
    --socket="$TB_MUNGE_SOCKET" --pid-file="$TB_MUNGE/munged.pid" \
    --log-file="$TB_MUNGE/munged.log" --seed-file="$TB_MUNGE/munged.seed" \
    </dev/null >>"$TB_MUNGE/munged.out" 2>&1 &
  echo $! >"$TB_RUN/munged.pid"
  local i
  for ((i = 0; i < 200; i++)); do
    munge -n -S "$TB_MUNGE_SOCKET" 2>/dev/null | unmunge -S "$TB_MUNGE_SOCKET" >/dev/null 2>&1 && return 0
    tb_alive "$(cat "$TB_RUN/munged.pid")" || break
    sleep 0.05
  done
  echo "munged did not start: $(tail -n 2 "$TB_MUNGE/munged.log" "$TB_MUNGE/munged.out" 2>&1 | tr '\n' ' ')" \
    >"$TB_RUN/slurm.why"
  return 1
}

write_slurm_conf() {
  local name
  cat <<CONF
# slurm.conf of the JMS test bed: one machine, slurmctld on $TB_GW, nodes in namespaces.
ClusterName=jmstest
SlurmctldHost=$(hostname -s)($TB_GW)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TB_MUNGE_SOCKET
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$TB_SLURM/state
SlurmdSpoolDir=$TB_BASE/%n/spool
SlurmctldPidFile=$TB_SLURM/slurmctld.pid
SlurmdPidFile=$TB_BASE/%n/slurmd.pid
SlurmctldLogFile=$TB_SLURM/slurmctld.log
SlurmdLogFile=$TB_BASE/%n/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
SchedulerType=sched/builtin
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmdTimeout=$TB_SLURMD_TIMEOUT
MessageTimeout=3
InactiveLimit=0
KillWait=2
MinJobAge=2
Waittime=0
MailProg=/bin/true
CONF
  for name in "${TB_NODES[@]}"; do
    echo "NodeName=$name NodeAddr=${TB_ADDR[$name]} NodeHostname=$name CPUs=$TB_NODE_CPUS Features=${TB_FEATURES[$name]} State=UNKNOWN"
  done
  echo "PartitionName=$TB_PARTITION Nodes=$(IFS=,; echo "${TB_NODES[*]}") Default=YES MaxTime=INFINITE State=UP"
}

start_slurmctld() {
  mkdir -p "$TB_SLURM/state"
  write_slurm_conf >"$TB_SLURM/slurm.conf"
  setsid slurmctld -D -i -f "$TB_SLURM/slurm.conf" </dev/null >>"$TB_SLURM/slurmctld.out" 2>&1 &
  echo $! >"$TB_RUN/slurmctld.pid"
}

start_nodes() {
  local name dir
  for name in "${TB_NODES[@]}"; do
    dir=$TB_BASE/$name
    box_dirs "$dir" scratch cache tmp spool
    start_box "$name" "$dir/boot.log" "$dir/scratch:/scratch/jms" "$dir/cache:/root/.cache" \
      "$dir/tmp:/tmp" "$TB_BASE/etc-hosts:/etc/hosts" -- \
      /usr/sbin/slurmd -D -N "$name" -f "$TB_SLURM/slurm.conf"
  done
}

# Waits until sinfo shows every node idle (30 s at most); fails at once if a slurmd died.
wait_idle() {
  local out="" name pid1 until=$((SECONDS + 30)) want=${#TB_NODES[@]}
  while ((SECONDS < until)); do
    for name in "${TB_NODES[@]}"; do
      pid1=$(cat "$TB_RUN/$name.pid")
      if [[ -z $(cat "/proc/$pid1/task/$pid1/children" 2>/dev/null) ]]; then
        sleep 0.2   # init.pl may be between two children; look once more
        [[ -n $(cat "/proc/$pid1/task/$pid1/children" 2>/dev/null) ]] && continue
        echo "slurmd of $name is not running: $(tail -n 2 "$TB_BASE/$name/boot.log" | tr '\n' ' ')" \
          >"$TB_RUN/slurm.why"
        return 1
      fi
    done
    out=$(sinfo -h -N -p "$TB_PARTITION" -o '%N %t' 2>&1) || true
    [[ $(grep -c ' idle$' <<<"$out") -eq $want ]] && return 0
    sleep 0.1
  done
  echo "the Slurm nodes did not become idle within 30 s (sinfo: ${out//$'\n'/; })" >"$TB_RUN/slurm.why"
  return 1
}

setup_slurm() {
  export SLURM_CONF=$TB_SLURM/slurm.conf
  start_munge
  start_slurmctld
  start_nodes
  wait_idle
}
