#!/usr/bin/env bash
# `make install` / `make uninstall`: put jms_coord, jms_console and jms_script.sh on PATH as
# symbolic links into this checkout (as `npm link` does), in <bindir>; or take them away again.
#
#   scripts/install.sh install <bindir>     links <bindir>/<name> -> this checkout's program
#   scripts/install.sh uninstall <bindir>   removes those links (only links into this checkout)
#
# A file of the same name that is not such a link is never replaced or removed: that is an
# error (exit 1), in the grammar of every JMS error. The programs stay where they are built, so
# `make build` after a `git pull` updates the installed commands too.
set -euo pipefail

readonly PROG='install.sh'
root=$(cd "$(dirname "$0")/.." && pwd)
readonly root
readonly -a NAMES=(jms_coord jms_console jms_script.sh)

die() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit 1
}

target_of() {
  case $1 in
    jms_coord) printf '%s' "$root/dist/coord/main.js" ;;
    jms_console) printf '%s' "$root/dist/jms_console.cjs" ;;
    jms_script.sh) printf '%s' "$root/scripts/jms_script.sh" ;;
  esac
}

install_links() {
  local bindir=$1 name link
  mkdir -p -- "$bindir" || die "cannot create $bindir; choose another directory with PREFIX=… or BINDIR=…."
  # Every name is checked before any link is made: a refusal leaves nothing half done.
  for name in "${NAMES[@]}"; do
    link=$bindir/$name
    if [[ -e $link && ! -L $link ]]; then
      die "$link exists and is not a link of JMS; remove it, or install elsewhere with PREFIX=…."
    fi
  done
  for name in "${NAMES[@]}"; do
    link=$bindir/$name
    ln -sfn -- "$(target_of "$name")" "$link"
    printf 'Installed %s -> %s\n' "$link" "$(target_of "$name")"
  done
  case ":$PATH:" in
    *":$bindir:"*) ;;
    *) printf 'Note: %s is not on your PATH; add it, e.g. export PATH="%s:$PATH"\n' "$bindir" "$bindir" ;;
  esac
}

uninstall_links() {
  local bindir=$1 name link
  for name in "${NAMES[@]}"; do
    link=$bindir/$name
    [[ -L $link ]] || continue
    if [[ $(readlink -- "$link") == "$(target_of "$name")" ]]; then
      rm -f -- "$link"
      printf 'Removed %s\n' "$link"
    else
      printf '%s: left %s alone: it links to %s, not to this checkout\n' "$PROG" "$link" "$(readlink -- "$link")" >&2
    fi
  done
}

(($# == 2)) || die "it takes install or uninstall and a directory; run 'make install' or 'make uninstall'."
case $1 in
  install) install_links "$2" ;;
  uninstall) uninstall_links "$2" ;;
  *) die "there is no action '$1'; run 'make install' or 'make uninstall'." ;;
esac
