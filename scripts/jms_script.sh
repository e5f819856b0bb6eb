#!/usr/bin/env bash
# jms_script.sh — inspect and clean the job output directories that JMS jobs leave under a path.
#
#   jms_script.sh -l <path> -c list | size [n] | purge [--include-running]   (flags in any order)
#
# What counts as a job directory
#   Only a real directory (not a symlink to one) directly under <path> whose name is
#     jms_<user>_<jobid>_<pid>_<YYYYMMDD>_<HHMMSS>
#   i.e. ^jms_.+_[0-9]+_[0-9]+_[0-9]{8}_[0-9]{6}$ . The user part may hold underscores: the four
#   numeric fields are counted from the right, so the job id is always the fourth from last.
#   Everything else under <path> (the coordinator's log and FIFOs, .jms_starting_* dirs of jobs
#   still starting, jms_notes, symlinks named like job dirs, ...) is never listed, sized or touched.
#
# A job still running
#   Its directory has no exit_status, and its pid (from the name) is alive, leads its own process
#   group (every job does) and started no later than the directory's time, so a pid used again by
#   another program since is not taken for the job. purge spares such directories and says so;
#   with --include-running it removes them too.
#
# Output (stable, one record a line, no header; <path> is printed as given, minus trailing '/')
#   list        <path>/<name>                  ordered by job id, ascending
#   size [n]    <bytes>\t<path>/<name>         bytes as `du -sb` reports them (apparent size);
#                                              ordered by bytes, ascending, ties by job id;
#                                              with n, only the n largest (still ascending)
#   purge       Removed <N> job directories    after `rm -rf` of each job directory; rm never
#                                              follows symlinks, so nothing outside is touched;
#               then one line per directory spared:
#               Spared <path>/<name>: JobID <id> is still running (--include-running removes it too)
#   No job directories: list and size print nothing; purge prints "Removed 0 job directories".
#
# Exit status
#   0  done
#   1  <path> missing or not a directory, or a job directory could not be sized or removed
#      (other directories are still handled)
#   2  usage error (unknown flag or command, missing -l or -c, bad n, extra argument)
#   Every error is one line on stderr, "jms_script.sh: error: <what went wrong>; <what to do>."
#   (the grammar of every JMS program), and nothing goes to stdout. -h / --help prints the usage
#   on stdout and exits 0.
#
# Names go NUL-terminated from find to the end (find -printf '%f\0', read -d ''), so spaces or
# any other byte in <path> or in a name are safe. Needs only bash, coreutils, GNU find and /proc.
set -euo pipefail

readonly PROG='jms_script.sh'
readonly JOB_DIR_RE='^jms_.+_([0-9]+)_[0-9]+_[0-9]{8}_[0-9]{6}$'

usage() {
  cat <<EOF
usage: $PROG -l <path> -c <command>
commands:
  list        list the job directories under <path>, by job id
  size [n]    the same with their sizes in bytes, ascending; with n, only the n largest
  purge       delete every job directory under <path> but those of jobs still running
              (nothing else is touched); with --include-running, those too
EOF
}

# <path> as it can be typed back in a hint, else the usual one.
hint_path() {
  if [[ $path =~ ^[[:alnum:]_@%+=:,./~-]+$ ]]; then printf '%s' "$path"; else printf 'jms_output'; fi
}

usage_error() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit 2
}

die() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit 1
}

path='' have_path=0 command='' count='' base='' include_running=0
extra=()

parse_args() {
  while (($# > 0)); do
    case $1 in
      -l)
        ((have_path == 0)) || usage_error '-l is given twice; give one path.'
        (($# >= 2)) || usage_error "-l needs a path; for example '$PROG -l jms_output -c list'."
        [[ -n $2 ]] || usage_error "-l needs a non-empty path; for example '$PROG -l jms_output -c list'."
        path=$2 have_path=1
        shift 2
        ;;
      -c)
        [[ -z $command ]] || usage_error '-c is given twice; give one command.'
        (($# >= 2)) || usage_error "-c needs a command (list, size [n] or purge); for example '$PROG -l $(hint_path) -c list'."
        command=$2
        shift 2
        # size takes an optional n: the next word, unless it is the next flag.
        if [[ $command == size && $# -gt 0 && $1 != -l && $1 != -c && $1 != --include-running ]]; then
          count=$1
          shift
        fi
        ;;
      --include-running)
        include_running=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -[0-9]*)
        extra+=("$1")
        shift
        ;;
      -*) usage_error "there is no option '$1'; '$PROG --help' shows the usage." ;;
      *)
        extra+=("$1")
        shift
        ;;
    esac
  done
  # Flags come in any order: in `-c size -l P 3` the n of size comes after -l.
  if [[ $command == size && -z $count && ${#extra[@]} -gt 0 ]]; then
    count=${extra[0]}
    extra=("${extra[@]:1}")
  fi
  ((${#extra[@]} == 0)) || usage_error "unexpected argument '${extra[0]}'; '$PROG --help' shows the usage."
  ((have_path == 1)) || usage_error "-l <path> is missing; for example '$PROG -l jms_output -c ${command:-list}'."
  [[ -n $command ]] || usage_error "-c <command> is missing; for example '$PROG -l $(hint_path) -c list'."
  case $command in
    list | purge) ;;
    size)
      if [[ -n $count ]]; then
        [[ $count =~ ^0*[1-9][0-9]*$ ]] ||
          usage_error "n must be a positive whole number, not '$count'; for example '$PROG -l $(hint_path) -c size 3'."
        while [[ $count == 0* ]]; do count=${count#0}; done
        # tail rejects counts past its integer range; no directory holds that many entries.
        ((${#count} <= 18)) || count=999999999999999999
      fi
      ;;
    *) usage_error "there is no command '$command' (the commands are list, size [n] and purge); for example '$PROG -l $(hint_path) -c list'." ;;
  esac
  [[ $include_running == 0 || $command == purge ]] ||
    usage_error "--include-running goes with purge only; for example '$PROG -l $(hint_path) -c purge --include-running'."
}

# Whether the job of directory $1 (a name under $base) still runs: no exit_status, and its pid
# alive, leading its own process group, and started no later than the directory's time (+2 s of
# rounding) and at most a minute before it.
job_running() {
  local name=$1 pid day hms stat rest started made btime hz
  local -a f
  [[ $name =~ _([0-9]+)_([0-9]{8})_([0-9]{6})$ ]] || return 1
  pid=${BASH_REMATCH[1]} day=${BASH_REMATCH[2]} hms=${BASH_REMATCH[3]}
  [[ ! -e $base/$name/exit_status ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # The fields after the command name (which may hold spaces): state ppid pgrp ...; starttime is
  # the 22nd field of the line, the 20th of these.
  rest=${stat##*) }
  read -r -a f <<<"$rest"
  ((${#f[@]} >= 20)) || return 1
  [[ ${f[0]} != Z && ${f[0]} != X && ${f[2]} == "$pid" ]] || return 1
  btime=$(awk '$1 == "btime" { print $2 }' /proc/stat)
  hz=$(getconf CLK_TCK)
  started=$((btime + f[19] / hz))
  made=$(date -d "${day:0:4}-${day:4:2}-${day:6:2} ${hms:0:2}:${hms:2:2}:${hms:4:2}" +%s 2>/dev/null) || return 1
  ((started <= made + 2 && started >= made - 60))
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
      printf "%s: error: could not size %s; check its permissions ('ls -ld %s').\n" "$PROG" "$base/$name" "$base/$name" >&2
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
  local -a spared=()
  while IFS=$'\t' read -r -d '' id name; do
    dir=$base/$name
    # Re-check right before removing: a symlink swapped in since find ran is left alone.
    [[ -d $dir && ! -L $dir ]] || continue
    if ((include_running == 0)) && job_running "$name"; then
      spared+=("Spared $dir: JobID $id is still running (--include-running removes it too)")
      continue
    fi
    if rm -rf -- "$dir"; then
      removed=$((removed + 1))
    else
      printf "%s: error: could not remove %s; check its permissions ('ls -ld %s').\n" "$PROG" "$dir" "$dir" >&2
      failed=1
    fi
  done < <(job_dirs)
  printf 'Removed %d job directories\n' "$removed"
  ((${#spared[@]} == 0)) || printf '%s\n' "${spared[@]}"
  ((failed == 0)) || die 'some job directories could not be removed; the lines above name them.'
}

main() {
  parse_args "$@"
  [[ -e $path ]] || die "there is no directory $path; give -l the coordinator's output directory (its -l)."
  [[ -d $path ]] || die "-l names $path, which is not a directory; give -l the coordinator's output directory (its -l)."
  # Checked here because find's own error would otherwise look like an empty directory.
  [[ -r $path && -x $path ]] || die "cannot read the directory $path; run $PROG as the user that runs the coordinator."
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
