#!/bin/sh
# The boot of one test host or Slurm node, run as the first process of its new UTS, mount and
# PID namespaces: sets its hostname, binds its own directories over the shared filesystem
# (SRC:DST pairs; the rest of the filesystem stays shared, as a lab shares /home over NFS),
# then becomes init.pl, PID 1 running the host's daemon. init.pl is read from INIT, a copy
# outside the checkout: a checkout under /tmp is hidden once the box's own /tmp is bound.
# usage: boot.sh INIT NAME [SRC:DST]... -- DAEMON ARGV...
set -eu
init=$1
name=$2
shift 2
echo "$name" >/proc/sys/kernel/hostname
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  mount --bind "${1%%:*}" "${1#*:}"
  shift
done
shift
exec /usr/bin/perl "$init" "$@"
