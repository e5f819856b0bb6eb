# Writes the state file (sourced by up.sh): JSON that test/helpers/testbed.ts reads. The format
# is documented at the top of testbed.ts; each part is either its description or
# { "unavailable": "<reason>" }.

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=$(printf '%s' "$s" | tr '\n\r\t' '   ' | tr -d '\000-\037' | sed 's/ *$//')
  printf '"%s"' "$s"
}

unavailable() { printf '{ "unavailable": %s }' "$(json_str "$1")"; }

# The JSON of a host or node's common fields.
box_json() {
  local name=$1 ns veth
  ns=$(tb_netns "$name")
  veth=$(tb_veth "$name")
  printf '"name": "%s", "address": "%s", "netns": "%s", "vethHost": "eth0", "vethBridge": "%s", "pid": %s, "log": "%s"' \
    "$name" "${TB_ADDR[$name]}" "$ns" "$veth" "$(cat "$TB_RUN/$name.pid")" "$TB_BASE/$name/boot.log"
}

ssh_json() {
  [[ ! -s $TB_RUN/ssh.why ]] || { unavailable "$(cat "$TB_RUN/ssh.why")"; return; }
  local name sep="" d
  printf '{ "config": "%s", "identity": "%s", "knownHosts": "%s", "hosts": [' \
    "$TB_SSH/config" "$TB_SSH/id_ed25519" "$TB_SSH/known_hosts"
  for name in "${TB_HOSTS[@]}"; do
    d=$TB_BASE/$name
    printf '%s\n    { %s, "dirs": { "srv": "%s", "cache": "%s", "tmp": "%s" } }' \
      "$sep" "$(box_json "$name")" "$d/srv" "$d/cache" "$d/tmp"
    sep=,
  done
  printf ' ] }'
}

features_json() {
  local f sep=""
  printf '['
  for f in ${1//,/ }; do printf '%s"%s"' "$sep" "$f"; sep=', '; done
  printf ']'
}

slurm_json() {
  [[ ! -s $TB_RUN/slurm.why ]] || { unavailable "$(cat "$TB_RUN/slurm.why")"; return; }
  local name sep="" d
  printf '{ "conf": "%s", "env": { "SLURM_CONF": "%s" }, "partition": "%s", ' \
    "$TB_SLURM/slurm.conf" "$TB_SLURM/slurm.conf" "$TB_PARTITION"
  printf '"slurmdTimeout": %s, "controller": { "host": "%s", "address": "%s", "pid": %s, "log": "%s" }, "nodes": [' \
    "$TB_SLURMD_TIMEOUT" "$(hostname -s)" "$TB_GW" "$(cat "$TB_RUN/slurmctld.pid")" "$TB_SLURM/slurmctld.log"
  for name in "${TB_NODES[@]}"; do
    d=$TB_BASE/$name
    printf '%s\n    { %s, "cpus": %s, "features": %s, "dirs": { "scratch": "%s", "cache": "%s", "tmp": "%s" }, "slurmdLog": "%s" }' \
      "$sep" "$(box_json "$name")" "$TB_NODE_CPUS" "$(features_json "${TB_FEATURES[$name]}")" \
      "$d/scratch" "$d/cache" "$d/tmp" "$d/slurmd.log"
    sep=,
  done
  printf ' ] }'
}

# Writes JSON atomically and checks that it parses.
write_json() {
  local tmp=$TB_STATE.tmp
  mkdir -p "$(dirname "$TB_STATE")"
  cat >"$tmp"
  perl -MJSON::PP -e 'local $/; JSON::PP->new->decode(<STDIN>)' <"$tmp" ||
    { echo "up.sh wrote an invalid state file $tmp" >&2; return 1; }
  mv -f "$tmp" "$TB_STATE"
}

write_unavailable() {
  printf '{ "version": 1, "ssh": %s,\n  "slurm": %s }\n' "$(unavailable "$1")" "$(unavailable "$1")" |
    write_json
}

write_state() {
  printf '{ "version": 1, "createdAt": "%s", "base": "%s",\n  "bridge": { "name": "%s", "address": "%s", "prefix": %s },\n  "ssh": %s,\n  "slurm": %s }\n' \
    "$(date -u +%FT%TZ)" "$TB_BASE" "$TB_BRIDGE" "$TB_GW" "$TB_PREFIX" "$(ssh_json)" "$(slurm_json)" |
    write_json
}
