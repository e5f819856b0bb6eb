# Installs the Debian packages the test bed lacks (sourced by up.sh). A package install must not
# start its service here (no systemd; the test bed starts its own daemons), so a policy-rc.d
# that refuses every start is put in place for the install and the machine's own put back.
# When an install fails, the part that needed it gets the reason in $TB_RUN/<part>.why.

TB_POLICY=/usr/sbin/policy-rc.d
TB_POLICY_SAVED=$TB_BASE/policy-rc.d.saved

have_all() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null || return 1; done
}

policy_block() {
  [[ -e $TB_POLICY ]] && cp -p "$TB_POLICY" "$TB_POLICY_SAVED"
  printf '#!/bin/sh\n# JMS test bed: no service starts during its package installs.\nexit 101\n' \
    >"$TB_POLICY"
  chmod 755 "$TB_POLICY"
}

policy_restore() {
  if [[ -e $TB_POLICY_SAVED ]]; then mv -f "$TB_POLICY_SAVED" "$TB_POLICY"; else rm -f "$TB_POLICY"; fi
}

# apt-get install PKG... for PART; on failure the reason goes to PART.why.
apt_install() {
  local part=$1 out
  shift
  tb_log "installing ${*}"
  if ! out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold "$@" 2>&1); then
    printf 'installing %s from Debian failed: %s\n' "$*" "$(tail -n 2 <<<"$out" | tr '\n' ' ')" \
      >"$TB_RUN/$part.why"
  fi
}

install_packages() {
  local ssh_ok=1 slurm_ok=1
  have_all sshd ssh ssh-keygen || ssh_ok=0
  have_all slurmctld slurmd srun sinfo squeue scancel munged mungekey munge || slurm_ok=0
  [[ $ssh_ok == 1 && $slurm_ok == 1 ]] && return 0
  local t0 out
  t0=$(date +%s)
  trap policy_restore EXIT
  trap 'policy_restore; exit 130' INT TERM
  policy_block
  if ! out=$(apt-get update -q -o DPkg::Lock::Timeout=300 2>&1); then
    out="apt-get update failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
    [[ $ssh_ok == 1 ]] || echo "$out" >"$TB_RUN/ssh.why"
    [[ $slurm_ok == 1 ]] || echo "$out" >"$TB_RUN/slurm.why"
  else
    local ssh_pkgs=() slurm_pkgs=()
    [[ $ssh_ok == 1 ]] || ssh_pkgs=(openssh-server openssh-client)
    [[ $slurm_ok == 1 ]] || slurm_pkgs=(slurm-wlm slurm-client munge)
    # One install for both (one dpkg run); if it fails, each part alone, to tell which failed.
    apt_install all "${ssh_pkgs[@]}" "${slurm_pkgs[@]}"
    if [[ -s $TB_RUN/all.why ]]; then
      [[ ${#ssh_pkgs[@]} -eq 0 ]] || apt_install ssh "${ssh_pkgs[@]}"
      [[ ${#slurm_pkgs[@]} -eq 0 ]] || apt_install slurm "${slurm_pkgs[@]}"
    fi
  fi
  policy_restore
  trap - EXIT INT TERM
  have_all sshd ssh ssh-keygen || [[ -s $TB_RUN/ssh.why ]] ||
    echo "openssh-server is installed but sshd/ssh/ssh-keygen are still missing" >"$TB_RUN/ssh.why"
  have_all slurmctld slurmd srun munged mungekey || [[ -s $TB_RUN/slurm.why ]] ||
    echo "slurm-wlm and munge are installed but slurmctld/slurmd/srun/munged are missing" \
      >"$TB_RUN/slurm.why"
  tb_log "packages installed in $(($(date +%s) - t0)) s"
}
