# The SSH test hosts h1..h3 (sourced by up.sh): one sshd per host listening only on its address,
# with its own host key and key-only root login; the client's key, known_hosts and ssh config
# ($TB_BASE/ssh/config, used as `ssh -F <config> h1`).

TB_SSH=$TB_BASE/ssh

write_sshd_config() {
  local name=$1 dir=$2
  cat >"$dir/sshd_config" <<CONF
# sshd of JMS test host $name
ListenAddress ${TB_ADDR[$name]}
Port 22
HostKey $dir/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
AuthorizedKeysFile $TB_SSH/authorized_keys
UseDNS no
ClientAliveInterval 2
ClientAliveCountMax 3
LoginGraceTime 20
MaxStartups 64:30:128
MaxSessions 64
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowAgentForwarding no
SetEnv SLURM_CONF=$TB_BASE/slurm/slurm.conf
CONF
}

write_client_config() {
  local name
  {
    echo "# ssh client config of the JMS test bed: ssh -F $TB_SSH/config h1"
    for name in "${TB_HOSTS[@]}"; do
      printf 'Host %s\n  HostName %s\n  HostKeyAlias %s\n  ProxyCommand none\n' \
        "$name" "${TB_ADDR[$name]}" "$name"
    done
    cat <<CONF
Host *
  User root
  Port 22
  IdentityFile $TB_SSH/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $TB_SSH/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  CheckHostIP no
  BatchMode yes
  RequestTTY no
  ServerAliveInterval 1
  ServerAliveCountMax 3
  ConnectTimeout 5
  LogLevel ERROR
  # A name that is not a test host must not leave this machine.
  ProxyCommand sh -c 'echo "jms test bed: %h is not a test host (${TB_HOSTS[*]})" >&2; exit 255'
CONF
  } >"$TB_SSH/config"
}

# Waits until sshd of NAME listens (its netns's /proc/net/tcp; 10 s at most), then logs in once.
wait_sshd() {
  local name=$1 pid1 hex until=$((SECONDS + 10))
  pid1=$(cat "$TB_RUN/$name.pid")
  hex=$(printf '%02X%02X%02X%02X:0016' $(echo "${TB_ADDR[$name]}" | tr . ' ' | awk '{print $4, $3, $2, $1}'))
  until grep -q " $hex 00000000:0000 0A " "/proc/$pid1/net/tcp" 2>/dev/null; do
    if ((SECONDS >= until)); then
      echo "sshd of $name does not listen: $(tail -n 2 "$TB_BASE/$name/boot.log" | tr '\n' ' ')" >&2
      return 1
    fi
    sleep 0.05
  done
  # Only stdout counts: the hosts share root's home (as a lab shares /home), and what its
  # dotfiles print on stderr at login (pyenv's rehash racing between concurrent logins, seen in
  # CI) is the home's noise, not the host's answer. It goes to the host's log.
  local got err=$TB_BASE/$name/login.err
  got=$(ssh -F "$TB_SSH/config" "$name" hostname 2>"$err") || true
  [[ $got == "$name" ]] || { echo "ssh $name hostname answered: $got $(tr '\n' ' ' <"$err")" >&2; return 1; }
}

setup_ssh_hosts() {
  mkdir -p "$TB_SSH"
  chmod 700 "$TB_SSH"
  ssh-keygen -q -t ed25519 -N '' -C jms-testbed -f "$TB_SSH/id_ed25519"
  cp "$TB_SSH/id_ed25519.pub" "$TB_SSH/authorized_keys"
  chmod 600 "$TB_SSH/authorized_keys"
  : >"$TB_SSH/known_hosts"
  local name dir
  for name in "${TB_HOSTS[@]}"; do
    dir=$TB_BASE/$name
    box_dirs "$dir" srv cache tmp
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/ssh_host_ed25519_key"
    echo "$name $(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >>"$TB_SSH/known_hosts"
    write_sshd_config "$name" "$dir"
    /usr/sbin/sshd -t -f "$dir/sshd_config"
    start_box "$name" "$dir/boot.log" "$dir/srv:/srv/jms" "$dir/cache:/root/.cache" \
      "$dir/tmp:/tmp" "$TB_BASE/etc-hosts:/etc/hosts" -- /usr/sbin/sshd -D -e -f "$dir/sshd_config"
  done
  write_client_config
  local pids=()
  for name in "${TB_HOSTS[@]}"; do wait_sshd "$name" & pids+=($!); done
  for name in "${pids[@]}"; do wait "$name"; done
}
