#!/usr/bin/perl
# PID 1 of a test host or Slurm node, in its own PID namespace: runs the host's daemon (sshd or
# slurmd), reaps every orphan of the namespace, and stays up when the daemon ends, as a
# machine's init does. Signals from outside (testbed.ts): USR1 starts the daemon again if it is
# not running; USR2 "reboots": kills every other process of the namespace, then starts it.
# usage: init.pl DAEMON ARGV...
use strict;
use warnings;

my @daemon = @ARGV;
die "usage: init.pl DAEMON ARGV...\n" unless @daemon;
my ($daemon, $want_start, $want_reboot) = (0, 1, 0);

# Perl restarts waitpid after a handled signal: the handlers die out of it instead.
$SIG{USR1} = sub { $want_start = 1; die "signal\n" };
$SIG{USR2} = sub { $want_reboot = 1; die "signal\n" };
$SIG{TERM} = sub { exit 0 };

sub start_daemon {
  my $pid = fork() // return 0;
  return $pid if $pid;
  $SIG{$_} = 'DEFAULT' for qw(USR1 USR2 TERM);
  exec { $daemon[0] } @daemon or die "init: cannot run $daemon[0]: $!\n";
}

sub reap_all {   # after kill(-1): wait for every child to be gone
  for (;;) { my $p = waitpid(-1, 0); last if $p == -1; }
  $daemon = 0;
}

for (;;) {
  eval {
    if ($want_reboot) {
      $want_reboot = 0;
      kill 'KILL', -1;
      reap_all();
      $want_start = 1;
    }
    if ($want_start) {
      $want_start = 0;
      $daemon = start_daemon() unless $daemon;
    }
    my $pid = waitpid(-1, 0);
    if ($pid == -1) { sleep 1; }   # nothing to reap (the daemon was stopped)
    elsif ($pid == $daemon) {
      $daemon = 0;
      my $how = $? & 127 ? 'was killed by signal ' . ($? & 127) : 'exited with status ' . ($? >> 8);
      print STDERR "init: $daemon[0] $how\n";
    }
    1;
  } or do { die $@ unless $@ eq "signal\n"; };
}
