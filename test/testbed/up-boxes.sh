# The bridge, and "boxes" (SSH test hosts and Slurm nodes): each in its own network namespace
# with a veth on the bridge, and its own UTS, mount and PID namespaces (boot.sh, init.pl).
# Sourced by up.sh; also sets up sshd on the SSH hosts and the client's keys and config.

setup_network() {
  local used
  used=$(ip -4 -o addr show to "$TB_NET.0/$TB_PREFIX"; ip -4 route show "$TB_NET.0/$TB_PREFIX")
  if [[ -n $used ]]; then
    echo "$TB_NET.0/$TB_PREFIX is already in use on this machine: ${used//$'\n'/; }" \
      >"$TB_RUN/network.why"
    return 1
  fi
  # `ip netns add` makes /run/netns a mount point the first time: down.sh undoes that too.
  if ! mountpoint -q /run/netns; then
    [[ -d /run/netns ]] || { mkdir -p /run/netns && echo /run/netns >>"$TB_BASE/created"; }
    mount --make-shared --bind /run/netns /run/netns
    echo "umount /run/netns" >>"$TB_BASE/created"
  fi
  ip link add "$TB_BRIDGE" type bridge
  ip addr add "$TB_GW/$TB_PREFIX" dev "$TB_BRIDGE"
  ip link set "$TB_BRIDGE" up
  check_routes
  make_mountpoints
  write_etc_hosts
}

# Every test address must be reached through the bridge, and nothing else.
check_routes() {
  local name route
  for name in "${TB_HOSTS[@]}" "${TB_NODES[@]}"; do
    route=$(ip route get "${TB_ADDR[$name]}" 2>&1) || true
    if [[ $route != *" dev $TB_BRIDGE "* ]]; then
      echo "${TB_ADDR[$name]} ($name) does not route via $TB_BRIDGE: $route" >"$TB_RUN/network.why"
      return 1
    fi
  done
}

# Starts box NAME: its namespaces and PID 1 (init.pl) running DAEMON. Each SRC:DST is bound in
# its mount namespace. Writes PID 1's pid (as seen here) to $TB_RUN/NAME.pid.
# usage: start_box NAME LOG [SRC:DST]... -- DAEMON ARGV...
start_box() {
  local name=$1 log=$2 ns veth
  shift 2
  ns=$(tb_netns "$name")
  veth=$(tb_veth "$name")
  ip netns add "$ns"
  ip link add "$veth" type veth peer name "$veth-in" netns "$ns"
  ip link set "$veth" master "$TB_BRIDGE" up
  ip -n "$ns" link set "$veth-in" name eth0
  ip -n "$ns" addr add "${TB_ADDR[$name]}/$TB_PREFIX" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  cp "$TB_HERE/init.pl" "$TB_RUN/init.pl"
  # Not `ip netns exec`: it remounts /sys and hides /sys/fs/cgroup (slurmd needs it).
  setsid nsenter --net="/run/netns/$ns" -- unshare --uts --mount --pid --fork --mount-proc \
    --kill-child -- /bin/sh "$TB_HERE/boot.sh" "$TB_RUN/init.pl" "$name" "$@" </dev/null >>"$log" 2>&1 &
  local unshare_pid=$! pid1="" i
  for ((i = 0; i < 200; i++)); do
    pid1=$(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true)
    pid1=${pid1%% *}
    [[ -n $pid1 && $(tr '\0' ' ' <"/proc/$pid1/cmdline" 2>/dev/null) == *init.pl* ]] && break
    tb_alive "$unshare_pid" || { echo "$name did not boot: $(tail -n 3 "$log")" >&2; return 1; }
    sleep 0.05
  done
  [[ -n $pid1 ]] || { echo "$name did not boot within 10 s" >&2; return 1; }
  echo "$unshare_pid" >"$TB_RUN/$name.unshare.pid"
  echo "$pid1" >"$TB_RUN/$name.pid"
}

# The directories a box gets of its own: DIR/{NAME...}, created, /tmp-like ones sticky.
box_dirs() {
  local dir=$1 d
  shift
  for d in "$@"; do mkdir -p "$dir/$d"; done
  [[ ! -d $dir/tmp ]] || chmod 1777 "$dir/tmp"
}

# /etc/hosts inside every box: the test bed's names, so nothing asks a DNS server.
write_etc_hosts() {
  local name
  {
    echo "127.0.0.1 localhost"
    echo "$TB_GW $(hostname -s) jms-login"
    for name in "${TB_HOSTS[@]}" "${TB_NODES[@]}"; do echo "${TB_ADDR[$name]} $name"; done
  } >"$TB_BASE/etc-hosts"
}

# Creates each missing mount point on the root fs (down.sh removes it again if still empty).
make_mountpoints() {
  local p d
  for p in "${TB_MOUNTPOINTS[@]}" /run/sshd; do
    [[ -e $p ]] && continue
    # Record every directory made, outermost first, so down.sh removes them innermost first.
    d=$p
    local made=()
    while [[ ! -e $d ]]; do made=("$d" "${made[@]}"); d=$(dirname "$d"); done
    mkdir -p "$p"
    printf '%s\n' "${made[@]}" >>"$TB_BASE/created"
  done
  chmod 755 /run/sshd
}
