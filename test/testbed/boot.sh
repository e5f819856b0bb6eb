#!/bin/sh
# The boot of one test host or Slurm node, run as the first process of its new UTS, mount and
# PID namespaces: sets its hostname, binds its own directories over the shared filesystem
# (SRC:DST pairs; the rest of the filesystem stays shared, as a lab shares /home over NFS),
# then becomes init.pl, PID 1 running the host's daemon.
# usage: boot.sh NAME [SRC:DST]... -- DAEMON ARGV...
set -eu
name=$1
shift
echo "$name" >/proc/sys/kernel/hostname
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  mount --bind "${1%%:*}" "${1#*:}"
  shift
done
shift
exec /usr/bin/perl "$(dirname "$0")/init.pl" "$@"
