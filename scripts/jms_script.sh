#!/usr/bin/env bash
# jms_script.sh — inspect and clean the job output directories that JMS jobs leave under a path.
#
#   jms_script.sh -l <path> -c list | size [n] | purge        (flags in any order)
#
# What counts as a job directory
#   Only a real directory (not a symlink to one) directly under <path> whose name is
#     jms_<user>_<jobid>_<pid>_<YYYYMMDD>_<HHMMSS>
#   i.e. ^jms_.+_[0-9]+_[0-9]+_[0-9]{8}_[0-9]{6}$ . The user part may hold underscores: the four
#   numeric fields are counted from the right, so the job id is always the fourth from last.
#   Everything else under <path> (the coordinator's log and FIFOs, .jms_starting_* dirs of jobs
#   still starting, jms_notes, symlinks named like job dirs, ...) is never listed, sized or touched.
#
# Output (stable, one record a line, no header; <path> is printed as given, minus trailing '/')
#   list        <path>/<name>                  ordered by job id, ascending
#   size [n]    <bytes>\t<path>/<name>         bytes as `du -sb` reports them (apparent size);
#                                              ordered by bytes, ascending, ties by job id;
#                                              with n, only the n largest (still ascending)
#   purge       Removed <N> job directories    after `rm -rf` of each job directory; rm never
#                                              follows symlinks, so nothing outside is touched
#   No job directories: list and size print nothing; purge prints "Removed 0 job directories".
#
# Exit status
#   0  done
#   1  <path> missing or not a directory, or a job directory could not be sized or removed
#      (one line "jms_script.sh: <what is wrong>" on stderr; other directories are still handled)
#   2  usage error (unknown flag or command, missing -l or -c, bad n, extra argument): one line
#      "jms_script.sh: <what is wrong>", then the usage, on stderr; nothing on stdout
#   -h / --help prints the usage on stdout and exits 0.
#
# Names go NUL-terminated from find to the end (find -printf '%f\0', read -d ''), so spaces or
# any other byte in <path> or in a name are safe. Needs only bash, coreutils and GNU find.
set -euo pipefail

readonly PROG='jms_script.sh'
readonly JOB_DIR_RE='^jms_.+_([0-9]+)_[0-9]+_[0-9]{8}_[0-9]{6}$'

usage() {
  cat <<EOF
usage: $PROG -l <path> -c <command>
commands:
  list        list the job directories under <path>, by job id
  size [n]    the same with their sizes in bytes, ascending; with n, only the n largest
  purge       delete every job directory under <path> (nothing else is touched)
EOF
}

usage_error() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  usage >&2
  exit 2
}

die() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  exit 1
}

path='' have_path=0 command='' count='' base=''

parse_args() {
  while (($# > 0)); do
    case $1 in
      -l)
        ((have_path == 0)) || usage_error '-l given twice'
        (($# >= 2)) || usage_error '-l needs a path'
        [[ -n $2 ]] || usage_error '-l needs a non-empty path'
        path=$2 have_path=1
        shift 2
        ;;
      -c)
        [[ -z $command ]] || usage_error '-c given twice'
        (($# >= 2)) || usage_error '-c needs a command'
        command=$2
        shift 2
        # size takes an optional n: the next word, unless it is the next flag.
        if [[ $command == size && $# -gt 0 && $1 != -l && $1 != -c ]]; then
          count=$1
          shift
        fi
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) usage_error "unknown flag: $1" ;;
      *) usage_error "unexpected argument: $1" ;;
    esac
  done
  ((have_path == 1)) || usage_error 'missing -l <path>'
  [[ -n $command ]] || usage_error 'missing -c <command>'
  case $command in
    list | purge) ;;
    size)
      if [[ -n $count ]]; then
        [[ $count =~ ^0*[1-9][0-9]*$ ]] || usage_error "n must be a positive whole number: $count"
        while [[ $count == 0* ]]; do count=${count#0}; done
        # tail rejects counts past its integer range; no directory holds that many entries.
        ((${#count} <= 18)) || count=999999999999999999
      fi
      ;;
    *) usage_error "unknown command: $command" ;;
  esac
}

# Prints NUL-terminated "<jobid>\t<name>" records of the job directories under $path, by job id
# (then name, so output is the same on every run).
job_dirs() {
  local name
  local from=$path
  # find would read a leading '-' as an expression, so such a path goes in as ./-name.
  [[ $from != -* ]] || from=./$from
  find -H "$from" -mindepth 1 -maxdepth 1 -type d -name 'jms_*' -printf '%f\0' |
    while IFS= read -r -d '' name; do
      if [[ $name =~ $JOB_DIR_RE ]]; then
        printf '%s\t%s\0' "${BASH_REMATCH[1]}" "$name"
      fi
    done |
    LC_ALL=C sort -z -t $'\t' -k1,1n -k2
}

cmd_list() {
  local id name
  while IFS=$'\t' read -r -d '' id name; do
    printf '%s/%s\n' "$base" "$name"
  done < <(job_dirs)
}

# Prints NUL-terminated "<bytes>\t<jobid>\t<name>" records; fails if some directory could not
# be sized (it is then left out, and the others are still printed).
sized_dirs() {
  local id name bytes failed=0
  # du runs once per directory so a hard link shared by two job dirs counts in both.
  while IFS=$'\t' read -r -d '' id name; do
    if bytes=$(du -sb -- "$base/$name"); then
      printf '%s\t%s\t%s\0' "${bytes%%[[:space:]]*}" "$id" "$name"
    else
      printf '%s: could not size %s\n' "$PROG" "$base/$name" >&2
      failed=1
    fi
  done < <(job_dirs)
  return "$failed"
}

cmd_size() {
  local bytes id name
  local -a pick=(cat)
  [[ -z $count ]] || pick=(tail -z -n "$count")
  # With pipefail a sizing failure fails this pipeline, after every other line is printed.
  sized_dirs |
    LC_ALL=C sort -z -t $'\t' -k1,1n -k2,2n -k3 |
    "${pick[@]}" |
    while IFS=$'\t' read -r -d '' bytes id name; do
      printf '%s\t%s/%s\n' "$bytes" "$base" "$name"
    done
}

cmd_purge() {
  local id name dir removed=0 failed=0
  while IFS=$'\t' read -r -d '' id name; do
    dir=$base/$name
    # Re-check right before removing: a symlink swapped in since find ran is left alone.
    [[ -d $dir && ! -L $dir ]] || continue
    if rm -rf -- "$dir"; then
      removed=$((removed + 1))
    else
      printf '%s: could not remove %s\n' "$PROG" "$dir" >&2
      failed=1
    fi
  done < <(job_dirs)
  printf 'Removed %d job directories\n' "$removed"
  ((failed == 0)) || die 'some job directories could not be removed'
}

main() {
  parse_args "$@"
  [[ -e $path ]] || die "no such directory: $path"
  [[ -d $path ]] || die "not a directory: $path"
  # Checked here because find's own error would otherwise look like an empty directory.
  [[ -r $path && -x $path ]] || die "cannot read directory: $path"
  # Drop trailing slashes (but keep "/") so "<base>/<name>" never doubles one.
  base=$path
  while [[ $base == */ && $base != / ]]; do base=${base%/}; done
  [[ $base != / ]] || base=''
  case $command in
    list) cmd_list ;;
    size) cmd_size ;;
    purge) cmd_purge ;;
  esac
}

main "$@"
